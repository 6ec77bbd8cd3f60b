{#- The privacy audit reads every cell about people that the marts publish: fails when the
    audit's cells and the privacy rule's cells differ in number (a join that lost cells
    would let the audit pass on fewer cells than are published). -#}
select audited.cells as audited_cells, ruled.cells as ruled_cells
from (select count(*) as cells from {{ ref('audit_privacy_cells') }}) as audited
cross join (select count(*) as cells from {{ ref('int_privacy_cells_unioned') }}) as ruled
where audited.cells <> ruled.cells
