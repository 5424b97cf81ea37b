//! Who a request is from. The peer of the TCP connection, unless that peer is one of the
//! configured `trusted_proxies`: only then are `Forwarded` (RFC 7239) or, without it,
//! `X-Forwarded-For` read, from the right, and the first hop that is not a trusted proxy
//! is the client. A header from anyone else is ignored, so a client cannot choose its
//! own address (and with it its rate-limit bucket).

use std::net::IpAddr;
use std::str::FromStr;

use axum::http::HeaderMap;

/// One trusted proxy: an address, or a network in CIDR notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrustedProxy(ipnet::IpNet);

impl TrustedProxy {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.contains(&canonical(ip))
    }
}

impl FromStr for TrustedProxy {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Ok(net) = text.parse::<ipnet::IpNet>() {
            return Ok(Self(net.trunc()));
        }
        text.parse::<IpAddr>()
            .map(|ip| Self(ipnet::IpNet::from(canonical(ip))))
            .map_err(|_| format!("{text:?} is neither an IP address nor a CIDR network"))
    }
}

impl<'de> serde::Deserialize<'de> for TrustedProxy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// IPv4 peers on a dual-stack socket show up as `::ffff:a.b.c.d`; they are IPv4.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
        v4 => v4,
    }
}

/// The client's address for a request that arrived from `peer`.
pub fn client_ip(peer: IpAddr, headers: &HeaderMap, trusted: &[TrustedProxy]) -> IpAddr {
    let peer = canonical(peer);
    let is_trusted = |ip: IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(peer) {
        return peer;
    }
    let hops = forwarded_hops(headers);
    let mut client = peer;
    for hop in hops.iter().rev() {
        match hop {
            // A hop the proxy could not name (`unknown`, an obfuscated name, garbage):
            // what lies beyond it cannot be believed, so the last hop known stands.
            None => return client,
            Some(ip) => {
                client = canonical(*ip);
                if !is_trusted(client) {
                    return client;
                }
            }
        }
    }
    client
}

/// The hops named by `Forwarded`, or else by `X-Forwarded-For`, first (the original
/// client) to last; `None` for a hop that is not an address.
fn forwarded_hops(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let forwarded: Vec<&str> = headers
        .get_all("forwarded")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .collect();
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .flat_map(|value| value.split(','))
            .map(|element| {
                element
                    .split(';')
                    .filter_map(|pair| pair.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("for"))
                    .and_then(|(_, value)| parse_node(value.trim().trim_matches('"')))
            })
            .collect();
    }
    headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .map(|hop| parse_node(hop.trim()))
        .collect()
}

/// `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]`, `[2001:db8::1]:4711` or `2001:db8::1`.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Some(rest) = node.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    let (host, port) = node.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse::<std::net::Ipv4Addr>().ok().map(IpAddr::V4)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().expect("header"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("ip")
    }

    fn trusted(list: &[&str]) -> Vec<TrustedProxy> {
        list.iter().map(|t| t.parse().expect("proxy")).collect()
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        let forged = headers(&[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=1.2.3.4")]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &[]),
            ip("203.0.113.9")
        );
        let proxies = trusted(&["10.0.0.0/8"]);
        assert_eq!(
            client_ip(ip("203.0.113.9"), &forged, &proxies),
            ip("203.0.113.9")
        );
    }

    #[test]
    fn the_first_untrusted_hop_from_the_right_is_the_client() {
        let proxies = trusted(&["10.0.0.0/8", "192.168.1.1"]);
        // The client forged a first entry; the proxies appended the real ones.
        let chain = headers(&[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.1.1.1")]);
        assert_eq!(
            client_ip(ip("192.168.1.1"), &chain, &proxies),
            ip("198.51.100.7")
        );
        let split = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &split, &proxies),
            ip("198.51.100.7")
        );
        let all_trusted = headers(&[("x-forwarded-for", "10.9.9.9")]);
        assert_eq!(
            client_ip(ip("10.0.0.2"), &all_trusted, &proxies),
            ip("10.9.9.9")
        );
        assert_eq!(
            client_ip(ip("10.0.0.2"), &HeaderMap::new(), &proxies),
            ip("10.0.0.2"),
            "a trusted peer without headers is the client"
        );
    }

    #[test]
    fn forwarded_wins_and_is_parsed_with_ports_quotes_and_ipv6() {
        let proxies = trusted(&["::1", "127.0.0.1"]);
        let both = headers(&[
            ("x-forwarded-for", "6.6.6.6"),
            (
                "forwarded",
                "for=\"[2001:db8:cafe::17]:4711\";proto=https, For=127.0.0.1:80",
            ),
        ]);
        assert_eq!(
            client_ip(ip("::1"), &both, &proxies),
            ip("2001:db8:cafe::17")
        );
        let v4 = headers(&[("forwarded", "for=192.0.2.60:1234;by=203.0.113.43")]);
        assert_eq!(client_ip(ip("127.0.0.1"), &v4, &proxies), ip("192.0.2.60"));
        let mapped = headers(&[("forwarded", "for=192.0.2.60")]);
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &mapped, &proxies),
            ip("192.0.2.60"),
            "an IPv4-mapped peer is IPv4"
        );
    }

    #[test]
    fn an_unnamed_hop_stops_the_walk_at_the_proxy_that_added_it() {
        let proxies = trusted(&["10.0.0.0/8"]);
        let unknown = headers(&[("forwarded", "for=6.6.6.6, for=unknown, for=10.0.0.5")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &unknown, &proxies),
            ip("10.0.0.5")
        );
        let garbage = headers(&[("x-forwarded-for", "6.6.6.6, not-an-ip")]);
        assert_eq!(
            client_ip(ip("10.0.0.1"), &garbage, &proxies),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn proxies_are_addresses_or_networks() {
        assert!(trusted(&["10.0.0.0/8"])[0].contains(ip("10.200.0.1")));
        assert!(trusted(&["2001:db8::/32"])[0].contains(ip("2001:db8:1::1")));
        assert!(!trusted(&["192.168.1.1"])[0].contains(ip("192.168.1.2")));
        assert!("10.0.0.0/33".parse::<TrustedProxy>().is_err());
        assert!("proxy.example".parse::<TrustedProxy>().is_err());
    }
}
