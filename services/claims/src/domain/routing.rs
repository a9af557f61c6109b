//! Which commissioned insurer (受托商业保险机构) handles a claim: a table of routes keyed by
//! province and, optionally, platform. The most specific route wins.

use gigshield_scheme::region::ProvinceCode;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub province: ProvinceCode,
    /// `None`: every platform in the province.
    pub platform_id: Option<Uuid>,
    pub insurer_id: Uuid,
}

/// The insurer for a claim in `province` whose platform is `platform_id` (if known): the
/// route for that platform in the province, else the province-wide one, else none.
pub fn insurer_for(
    routes: &[Route],
    province: ProvinceCode,
    platform_id: Option<Uuid>,
) -> Option<Uuid> {
    let in_province = || routes.iter().filter(move |r| r.province == province);
    platform_id
        .and_then(|platform| {
            in_province()
                .find(|r| r.platform_id == Some(platform))
                .map(|r| r.insurer_id)
        })
        .or_else(|| {
            in_province()
                .find(|r| r.platform_id.is_none())
                .map(|r| r.insurer_id)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_route_wins() {
        let bj = ProvinceCode::from_prefix("11").unwrap();
        let sh = ProvinceCode::from_prefix("31").unwrap();
        let (p1, p2) = (Uuid::now_v7(), Uuid::now_v7());
        let (general, special) = (Uuid::now_v7(), Uuid::now_v7());
        let routes = vec![
            Route {
                province: bj,
                platform_id: Some(p1),
                insurer_id: special,
            },
            Route {
                province: bj,
                platform_id: None,
                insurer_id: general,
            },
        ];
        assert_eq!(insurer_for(&routes, bj, Some(p1)), Some(special));
        assert_eq!(insurer_for(&routes, bj, Some(p2)), Some(general));
        assert_eq!(insurer_for(&routes, bj, None), Some(general));
        assert_eq!(insurer_for(&routes, sh, Some(p1)), None);
        let only_platform = &routes[..1];
        assert_eq!(insurer_for(only_platform, bj, Some(p2)), None);
    }
}
