with

source as (

    select * from {{ source('raw', 'survey_questions') }}

),

renamed as (

    select
        trim(question_id) as question_id,
        {{ text_key('question_id') }} as question_key,
        {{ text_key('dimension') }} as dimension,
        text as question_text,
        cast(scale_min as {{ type_double() }}) as scale_min,
        cast(scale_max as {{ type_double() }}) as scale_max,
        coalesce(cast(reverse_coded as boolean), false) as is_reverse_coded
    from source

)

select * from renamed
