//! A platform's statement: its own account of an incident and the facts of the worker's report
//! it disputes. The worker's facts are never changed by it; a dispute is for claims to weigh.

use super::facts::FaultShare;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Disputes {
    pub not_during_order: bool,
    pub intentional_crime: bool,
    pub intoxication_or_drugs: bool,
    pub self_harm: bool,
    pub worker_fault_share: Option<FaultShare>,
}

impl Disputes {
    /// The disputed facts by their stable names (as published in `StatementAdded`).
    pub fn names(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.not_during_order {
            out.push("not_during_order");
        }
        if self.intentional_crime {
            out.push("intentional_crime");
        }
        if self.intoxication_or_drugs {
            out.push("intoxication_or_drugs");
        }
        if self.self_harm {
            out.push("self_harm");
        }
        if self.worker_fault_share.is_some() {
            out.push("worker_fault_share");
        }
        out
    }

    pub fn from_names(names: &str, fault: Option<FaultShare>) -> Self {
        let has = |n: &str| names.split(',').any(|x| x == n);
        Self {
            not_during_order: has("not_during_order"),
            intentional_crime: has("intentional_crime"),
            intoxication_or_drugs: has("intoxication_or_drugs"),
            self_harm: has("self_harm"),
            worker_fault_share: fault,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        let d = Disputes {
            intoxication_or_drugs: true,
            worker_fault_share: Some(FaultShare::Main),
            ..Default::default()
        };
        let names = d.names().join(",");
        assert_eq!(names, "intoxication_or_drugs,worker_fault_share");
        assert_eq!(Disputes::from_names(&names, Some(FaultShare::Main)), d);
        assert!(Disputes::default().names().is_empty());
    }
}
