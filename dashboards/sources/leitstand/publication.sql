select * from meta.publication
