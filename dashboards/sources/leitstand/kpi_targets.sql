select * from marts.kpi_targets
