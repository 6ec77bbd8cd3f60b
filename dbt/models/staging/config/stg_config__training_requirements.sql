{#- Which courses a role must complete; role `*` means every employee. -#}
with

source as (

    select * from {{ source('raw', 'training_requirements') }}

),

renamed as (

    select
        trim(role) as role,
        {{ text_key('role') }} as role_key,
        trim(course_id) as course_id
    from source

)

select * from renamed
