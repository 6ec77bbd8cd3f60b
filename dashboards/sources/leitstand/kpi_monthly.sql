select * from marts.kpi_monthly
