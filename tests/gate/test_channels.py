"""The channel-map rule: unknown channel values block with the line to add."""

from __future__ import annotations

from dagster_project.gate.channels import builtin_map_path, channel_key, channel_map_result

from .tables import create_raw, erp_orders, good_order

BUILTIN = [("*", "Webshop"), ("*", "Online-Shop"), ("*", "Fax"), ("*", "E-Mail"),
           ("crm_interactions", "Chat")]
CHANNELS = {"source": "varchar", "raw_value": "varchar", "channel": "varchar",
            "is_digital": "boolean"}


def test_channel_key_ignores_case_spaces_and_hyphens():
    assert channel_key(" Online-Shop ") == channel_key("online shop") == channel_key("ONLINESHOP")


def test_known_values_pass_in_any_spelling(con, tmp_path):
    erp_orders(con, [good_order("A-1", channel="online shop"), good_order("A-2", channel="FAX"),
                     good_order("A-3", channel="e mail")])
    result = channel_map_result(con, "erp_orders", tmp_path / "channels.csv", BUILTIN)
    assert result.passed, result.message


def test_unknown_value_lists_value_source_count_and_line_to_add(con, tmp_path):
    erp_orders(con, [good_order("A-1", channel="Telefax"), good_order("A-2", channel="Telefax"),
                     good_order("A-3", channel="Webshop"), good_order("A-4", channel="Chat")])
    channels_csv = tmp_path / "config" / "channels.csv"
    result = channel_map_result(con, "erp_orders", channels_csv, BUILTIN)
    assert result.blocks and result.observed == "2 values"
    assert "'Telefax' (2 rows)" in result.message
    assert "'Chat' (1 rows)" in result.message  # Chat is mapped for CRM interactions only
    assert "`erp_orders,Telefax,<channel>,<true|false>`" in result.message
    assert str(channels_csv) in result.message


def test_the_line_follows_the_existing_channels_file(con, tmp_path):
    erp_orders(con, [good_order("A-1", channel="Telefax")])
    channels_csv = tmp_path / "channels.csv"
    channels_csv.write_text("raw_value;source;channel;is_digital\nB2B-Portal;*;portal;ja\n",
                            encoding="utf-8")
    result = channel_map_result(con, "erp_orders", channels_csv, BUILTIN)
    assert "`Telefax;erp_orders;<channel>;<true|false>`" in result.message


def test_config_channels_extend_the_builtin_map(con, tmp_path):
    erp_orders(con, [good_order("A-1", channel="Telefax"), good_order("A-2", channel="B2B Portal")])
    create_raw(con, "channels", CHANNELS, [("erp_orders", "telefax", "fax", False),
                                           ("*", "B2B-Portal", "portal", True)], "channels.csv")
    assert channel_map_result(con, "erp_orders", tmp_path / "channels.csv", BUILTIN).passed


def test_lead_source_channel_is_checked(con, tmp_path):
    create_raw(con, "crm_leads", {"lead_id": "varchar", "source_channel": "varchar"},
               [("L-1", "Empfehlung"), ("L-2", "Messe")])
    result = channel_map_result(con, "crm_leads", tmp_path / "channels.csv",
                                [*BUILTIN, ("*", "Messe")])
    assert result.blocks
    assert "source_channel" in result.message and "'Empfehlung' (1 rows)" in result.message
    assert "Messe" not in result.message.split("Fix:")[0]


def test_the_builtin_seed_of_the_dbt_project_is_found_and_read(con, tmp_path):
    path = builtin_map_path()
    assert path is not None and path.exists()
    erp_orders(con, [good_order("A-1", channel="Kundenportal"),
                     good_order("A-2", channel="Telefon")])
    assert channel_map_result(con, "erp_orders", tmp_path / "channels.csv").passed
