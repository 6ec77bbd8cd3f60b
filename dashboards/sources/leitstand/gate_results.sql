select * from dq.gate_results
