//! An incident's states: reported → application filed → (either) withdrawn.
//!
//! There is no "decided" state here: determination happens in the claims service. Withdrawal
//! stays possible after an application (the brief: "before a decision"; none is known here);
//! the event tells claims, which holds any decision.

use super::stored_names;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IncidentStatus {
    Reported,
    ApplicationFiled,
    Withdrawn,
}

stored_names!(IncidentStatus {
    Reported => "reported",
    ApplicationFiled => "application_filed",
    Withdrawn => "withdrawn",
});

impl IncidentStatus {
    /// Amendments, evidence and withdrawal need an incident that is not withdrawn.
    pub fn require_open(self) -> Result<(), &'static str> {
        match self {
            IncidentStatus::Withdrawn => Err("the incident was withdrawn; it can no longer change"),
            _ => Ok(()),
        }
    }

    /// Filing needs a reported incident without an application.
    pub fn require_fileable(self) -> Result<(), &'static str> {
        match self {
            IncidentStatus::Reported => Ok(()),
            IncidentStatus::ApplicationFiled => {
                Err("an application was already filed for this incident")
            }
            IncidentStatus::Withdrawn => {
                Err("the incident was withdrawn; no application can be filed")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions() {
        assert!(IncidentStatus::Reported.require_open().is_ok());
        assert!(IncidentStatus::ApplicationFiled.require_open().is_ok());
        assert!(IncidentStatus::Withdrawn.require_open().is_err());
        assert!(IncidentStatus::Reported.require_fileable().is_ok());
        assert!(IncidentStatus::ApplicationFiled.require_fileable().is_err());
        assert!(IncidentStatus::Withdrawn.require_fileable().is_err());
        for s in IncidentStatus::ALL {
            assert_eq!(IncidentStatus::parse_stored(s.as_str()), Ok(*s));
        }
    }
}
