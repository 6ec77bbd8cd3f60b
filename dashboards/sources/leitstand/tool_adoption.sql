select * from marts.tool_adoption
