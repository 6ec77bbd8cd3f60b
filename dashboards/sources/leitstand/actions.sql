select * from marts.actions
