"""Who the client is (shared/client_address.py): X-Forwarded-For counts only from a configured proxy,
and then only its right-most entry that is not one of our proxies. Pure rules, no I/O."""

from __future__ import annotations

import pytest

from shared.client_address import client_address, parse_networks
from shared.config import Settings
from shared.ratelimit import client_identity

PROXIES = parse_networks("10.0.0.0/8, 2001:db8:1::/48")


def test_without_trusted_proxies_the_direct_peer_is_the_client_whatever_it_forwards():
    assert client_address("127.0.0.1", "203.0.113.9", ()) == "127.0.0.1"
    assert client_address("198.51.100.4", "203.0.113.9, 10.0.0.1", PROXIES) == "198.51.100.4"


def test_behind_a_trusted_proxy_the_last_entry_it_wrote_is_the_client():
    assert client_address("10.0.0.2", "203.0.113.9", PROXIES) == "203.0.113.9"


def test_entries_a_client_made_up_to_the_left_are_ignored():
    forged = "1.2.3.4, 5.6.7.8, 203.0.113.9"
    assert client_address("10.0.0.2", forged, PROXIES) == "203.0.113.9"


def test_a_chain_of_trusted_proxies_is_skipped_from_the_right():
    assert client_address("10.0.0.2", "203.0.113.9, 10.1.1.1, 2001:db8:1::5", PROXIES) == "203.0.113.9"


def test_addresses_with_ports_brackets_and_ipv4_mapped_forms_are_read_as_addresses():
    assert client_address("10.0.0.2", "[2001:db8:9::1]:443", PROXIES) == "2001:db8:9::1"
    assert client_address("10.0.0.2", "203.0.113.9:5555", PROXIES) == "203.0.113.9"
    assert client_address("::ffff:10.0.0.2", "203.0.113.9", PROXIES) == "203.0.113.9"


def test_a_trusted_proxy_without_a_forwarded_header_is_itself_the_client():
    assert client_address("10.0.0.2", None, PROXIES) == "10.0.0.2"
    assert client_address(None, "203.0.113.9", PROXIES) == "unknown"


def test_ipv6_clients_count_per_64_block_and_ipv4_per_address():
    assert client_identity("2001:db8:9:1::1") == client_identity("2001:db8:9:1:ffff::2") == "2001:db8:9:1::/64"
    assert client_identity("203.0.113.9") != client_identity("203.0.113.10")


def test_trusted_proxies_that_are_not_networks_are_refused_with_the_entry_named():
    with pytest.raises(ValueError, match="not-a-network"):
        Settings(trusted_proxies="10.0.0.0/8, not-a-network")
    assert Settings(trusted_proxies="10.0.0.0/8").trusted_proxy_networks() == parse_networks("10.0.0.0/8")
    assert Settings().trusted_proxy_networks() == ()


def test_the_old_directory_switch_is_refused_with_a_pointer_to_the_new_one():
    from services.directory.config import DirectorySettings

    with pytest.raises(ValueError, match="HALLOBOT_TRUSTED_PROXIES"):
        DirectorySettings(trust_forwarded_for=True)
