select * from dq.quarantine
