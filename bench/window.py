"""The repeat-customer 12-month window at scale, per model, before and after.

    python -m bench.window [--orders 5000000] [--customers 40000] [--months 54] [--rounds 3]

Builds the three relations `int_repeat_customer_rate_rolled_up` reads (the orders counted
per unit, month, customer; the org tree's closure; the months) as tables of a scratch
DuckDB file, with the long-history shape of bench/README.md (orders spread over 4.5 years,
tens of thousands of customers, a tree of 1 + 6 + 36 units three levels deep), compiles the
model with dbt and runs, alternating:

- **before**: the window as a join of every month with the customers' order months of the
  12 months ending with it (customers × months × window rows), the formulation up to #30;
- **after**: the model as the dbt project has it now.

Both must give the same cells (checked each round); printed are wall and CPU seconds of
the process (DuckDB's threads included) and the peak rows the before-join produces.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import duckdb

REPO_ROOT = Path(__file__).resolve().parent.parent
MODEL = "int_repeat_customer_rate_rolled_up"

# The formulation before #30 (DuckDB SQL): every month joined with the order months of the
# 12 months ending with it, per unit and customer.
BEFORE = """
with all_orders as (select * from intermediate.int_orders_counted),
orders as (select * from all_orders where not is_cancelled),
bounds as (select min(order_month) as first_month, max(order_month) as last_month
           from all_orders),
months as (select months.month from intermediate.int_months_enumerated as months
           inner join bounds on months.month between bounds.first_month and bounds.last_month),
closure as (select * from intermediate.int_org_units_closed),
customer_months as (
    select closure.ancestor_id as org_unit_id, orders.customer_id, orders.order_month,
           sum(orders.orders) as orders_in_month
    from orders inner join closure on closure.descendant_id = orders.org_unit_id
    group by 1, 2, 3),
orders_per_customer as (
    select months.month, customer_months.org_unit_id, customer_months.customer_id,
           sum(customer_months.orders_in_month) as orders_in_window
    from months inner join customer_months
        on customer_months.order_month <= months.month
        and customer_months.order_month > months.month - interval 12 month
    group by 1, 2, 3),
rolled_up as (
    select month, org_unit_id,
           sum(case when orders_in_window >= 2 then 1 else 0 end) as numerator,
           count(*) as denominator
    from orders_per_customer group by 1, 2)
select 'repeat_customer_rate' as kpi_id, month, org_unit_id,
       cast(numerator as double) / denominator as value,
       cast(numerator as double) as numerator, cast(denominator as double) as denominator,
       cast(null as integer) as population
from rolled_up where denominator > 0
"""


def build_inputs(con: duckdb.DuckDBPyConnection, orders: int, customers: int,
                 months: int) -> None:
    """The model's inputs: `orders` orders over `months` months from 2022-01 on, customers
    drawn skewed (a few buy often, most seldom), each customer with a home unit."""
    con.execute("create schema if not exists intermediate")
    con.execute("""
        create or replace table intermediate.int_org_units_closed as
        with units as (
            select 'U' as org_unit_id, null as parent_id
            union all select 'U' || r, 'U' from range(6) t(r)
            union all select 'U' || r || '-' || c, 'U' || r from range(6) t(r), range(6) s(c)),
        leaves as (select org_unit_id, parent_id from units where length(org_unit_id) > 2)
        select org_unit_id as ancestor_id, org_unit_id as descendant_id, 0 as distance
        from units
        union all select parent_id, org_unit_id, 1 from units where parent_id is not null
        union all select 'U', org_unit_id, 2 from leaves
    """)
    con.execute("""
        create or replace table intermediate.int_months_enumerated as
        select cast(date '1900-01-01' + to_months(cast(r as integer)) as date) as month,
               cast(last_day(date '1900-01-01' + to_months(cast(r as integer))) as date)
                   as month_end
        from range(2400) t(r)
    """)
    con.execute(f"""
        create or replace table intermediate.int_orders_counted as
        with drawn as (
            select cast(floor(pow(random(), 2.5) * {customers}) as integer) as customer,
                   cast(floor(random() * {months}) as integer) as month_index,
                   random() < 0.04 as is_cancelled,
                   random() < 0.4 as is_digital
            from range({orders}))
        select 'U' || (customer % 6) || '-' || ((customer // 6) % 6) as org_unit_id,
               cast(date '2022-01-01' + to_months(month_index) as date) as order_month,
               'K' || lpad(cast(customer as varchar), 6, '0') as customer_id,
               is_digital, is_cancelled, count(*) as orders,
               cast(count(*) * 100 as decimal(38, 2)) as net_amount
        from drawn group by all
    """)


def compiled_model(db: Path, work: Path) -> str:
    env = {**os.environ, "LEITSTAND_BUILD_DB": str(db)}
    subprocess.run(["dbt", "compile", "-q", "--select", MODEL, "--target-path",
                    str(work / "target"), "--profiles-dir", ".", "--project-dir", "."],
                   cwd=REPO_ROOT / "dbt", env=env, check=True, stdout=subprocess.DEVNULL)
    path = next((work / "target" / "compiled").rglob(f"{MODEL}.sql"))
    return path.read_text()


def timed(con: duckdb.DuckDBPyConnection, sql: str) -> tuple[float, float, list]:
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    rows = con.execute(f"select * from ({sql}) order by month, org_unit_id").fetchall()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000_000)
    parser.add_argument("--customers", type=int, default=40_000)
    parser.add_argument("--months", type=int, default=54)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--memory-limit", default="2GB")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="leitstand-window-") as tmp:
        work = Path(tmp)
        db = work / "build.duckdb"
        con = duckdb.connect(str(db))
        con.execute(f"set memory_limit = '{args.memory_limit}'")
        build_inputs(con, args.orders, args.customers, args.months)
        con.execute("checkpoint")
        con.close()
        after_sql = compiled_model(db, work)
        con = duckdb.connect(str(db))
        con.execute(f"set memory_limit = '{args.memory_limit}'")
        lines = con.execute("select count(*), sum(orders) from intermediate.int_orders_counted"
                            ).fetchone()
        print(f"{args.orders:,} orders ({lines[0]:,} unit-month-customer lines), "
              f"{args.customers:,} customers, {args.months} months")
        for round_ in range(1, args.rounds + 1):
            wall_b, cpu_b, rows_b = timed(con, BEFORE)
            wall_a, cpu_a, rows_a = timed(con, after_sql)
            same = rows_a == rows_b
            print(f"round {round_}: before {wall_b:.2f} s wall / {cpu_b:.2f} s CPU, "
                  f"after {wall_a:.2f} s wall / {cpu_a:.2f} s CPU; {len(rows_a):,} cells, "
                  f"{'the same' if same else 'DIFFERENT'}")
            if not same:
                return 1
        con.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
