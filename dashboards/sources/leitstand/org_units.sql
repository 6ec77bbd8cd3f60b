select * from marts.org_units
