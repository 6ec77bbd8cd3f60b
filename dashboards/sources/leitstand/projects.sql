select * from marts.projects
