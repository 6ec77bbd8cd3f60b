select * from marts.kpi_status
