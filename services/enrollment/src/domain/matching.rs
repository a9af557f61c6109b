//! What a registration of (platform, external worker id, person) means, given what is stored:
//! one person per active membership of a platform, one external id per person, and a resident
//! ID number that keeps the name it was first registered with.

use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The same membership exists: answer it, change nothing.
    Existing,
    /// A new membership (and, for an unknown number, a new person).
    Create,
    /// The platform uses this external id for another person.
    ExternalIdTaken,
    /// The person is registered with the platform under another external id.
    PersonAlreadyRegistered { external_worker_id: String },
    /// The name differs from the one on record for the resident ID number. Held for an
    /// operator; the answer names no detail (it must not tell whether, or under which name,
    /// the number is registered anywhere).
    IdentityUnverified,
}

/// What the store holds that bears on one registration.
pub struct Stored<'a> {
    /// The name on record for the resident ID number, when the person is known.
    pub recorded_name: Option<&'a str>,
    /// The person of the platform's active membership with this external id.
    pub person_of_external_id: Option<Uuid>,
    /// The external id of the person's active membership with the platform.
    pub external_id_of_person: Option<&'a str>,
}

pub fn decide(person_id: Uuid, submitted_name: &str, stored: &Stored<'_>) -> Outcome {
    if stored
        .recorded_name
        .is_some_and(|recorded| recorded != submitted_name)
    {
        return Outcome::IdentityUnverified;
    }
    match (stored.person_of_external_id, stored.external_id_of_person) {
        (Some(p), _) if p == person_id => Outcome::Existing,
        (Some(_), _) => Outcome::ExternalIdTaken,
        (None, Some(ext)) => Outcome::PersonAlreadyRegistered {
            external_worker_id: ext.to_string(),
        },
        (None, None) => Outcome::Create,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_stored_state_has_one_meaning() {
        let person = Uuid::now_v7();
        let nothing = Stored {
            recorded_name: None,
            person_of_external_id: None,
            external_id_of_person: None,
        };
        assert_eq!(decide(person, "张三", &nothing), Outcome::Create);
        let known = Stored {
            recorded_name: Some("张三"),
            ..nothing
        };
        assert_eq!(decide(person, "张三", &known), Outcome::Create);
        assert_eq!(decide(person, "李四", &known), Outcome::IdentityUnverified);
        let same = Stored {
            recorded_name: Some("张三"),
            person_of_external_id: Some(person),
            external_id_of_person: Some("r-1"),
        };
        assert_eq!(decide(person, "张三", &same), Outcome::Existing);
        let taken = Stored {
            person_of_external_id: Some(Uuid::now_v7()),
            ..nothing
        };
        assert_eq!(decide(person, "张三", &taken), Outcome::ExternalIdTaken);
        let other_id = Stored {
            external_id_of_person: Some("r-9"),
            ..nothing
        };
        assert_eq!(
            decide(person, "张三", &other_id),
            Outcome::PersonAlreadyRegistered {
                external_worker_id: "r-9".into()
            }
        );
    }
}
