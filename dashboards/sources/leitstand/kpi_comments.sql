select * from marts.kpi_comments
