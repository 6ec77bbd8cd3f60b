select * from marts.maturity_by_dimension
