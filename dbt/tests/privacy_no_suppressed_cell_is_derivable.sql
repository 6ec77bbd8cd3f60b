{#- docs/kpis.md, Privacy: no suppressed cell may be computable from the published cells
    (by parent = children + own rest, total = sum of its tools, index = mean of its
    dimensions), nor a part of fewer than min_group_size people. Fails with one row per such
    cell (keys only; audit.audit_privacy_derivable_cells in the build database), so that
    nothing of the run is published. -#}
select *
from {{ ref('audit_privacy_derivable_cells') }}
