{#- Survey answers in long form: one row per given answer of a complete response. The
    ingest already skips incomplete responses (no submitted_at); this model keeps that
    promise for any row that still arrives without one. -#}
with

source as (

    select * from {{ source('raw', 'survey_responses') }}

),

renamed as (

    select
        response_id,
        org_unit_id,
        trim(wave) as wave,
        trim(question_id) as question_id,
        {{ text_key('question_id') }} as question_key,
        cast(answer as {{ type_double() }}) as answer,
        cast(submitted_at as timestamp) as submitted_at,
        _file_name,
        _row_number
    from source
    where submitted_at is not null
        and answer is not null

)

select * from renamed
