//! The rule that keeps a logout final where a session is saved.
//!
//! A web framework's session layer writes a request's whole session record
//! back at the end of the request. A request that loaded the record before a
//! logout (in another tab, or an expiry seen by another request) would write
//! the logged-in record back afterwards and bring the session back. This rule
//! decides, at the moment of the write and from the stamps alone, what may be
//! written; a session store wrapper applies it atomically (see the framework
//! integrations).
//!
//! ```
//! use auto_logout::engine::save_rule::{InStore, SaveAction, decide};
//! use auto_logout::{Stamps, Timestamp};
//!
//! let login = Stamps::at_login(Timestamp::from_unix_millis(1_000)).encode();
//! // Deleted meanwhile (logged out): the write is dropped, never re-created.
//! assert_eq!(decide(Some(&login), InStore::Gone), SaveAction::Drop);
//! // The same login, still there: the write goes ahead.
//! assert_eq!(decide(Some(&login), InStore::Stamps(Some(&login))), SaveAction::Write);
//! ```
//!
//! The rule, for a record being saved (ours) and the record in the store:
//!
//! | in the store | ours | action |
//! |---|---|---|
//! | gone | anything | drop the write: a save never re-creates a record |
//! | any | no stamps (logged out, or never tracked) | write ours |
//! | a later login, or unreadable stamps | stamps | drop the write: the stored record wins |
//! | the same login | the same login | write ours, with the later of the two last activities |
//! | an earlier login, or no stamps | stamps | write ours: a login made by this very request |
//!
//! Every logout deletes the record (the integrations' `logout`, an
//! expiry, tower-sessions' `flush`, axum-login's `logout`), so a copy loaded
//! before it finds the record gone. A copy loaded before a new login on the
//! same id carries an earlier login than the store and is dropped; a request
//! that logged in itself (axum-login switching users without a new id, or
//! clocks started for a session signed in before the layer was installed)
//! carries a later login, or the first one, and is written.
//!
//! Stamps of ours that cannot be read are written only over the very same
//! text (nothing to merge), else dropped: nothing unreadable ever replaces a
//! login.

use crate::stamps::Stamps;

/// What the store holds under the id being saved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InStore<'a> {
    /// No record (deleted by a logout or an expiry, or expired in the store).
    Gone,
    /// A record, with its stored stamps text (`None`: no stamps, i.e. not
    /// logged in, or logged out without a new id).
    Stamps(Option<&'a str>),
}

/// What to do with a save.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SaveAction {
    /// Write the record as it is.
    Write,
    /// Write the record with these stamps instead of its own: the same login,
    /// with the later last activity the store already held.
    WriteStamps(Stamps),
    /// Do not write: the record is gone, or the store holds another login.
    Drop,
}

/// The rule: what may be written when a record whose stamps are `ours` is
/// saved over what the store holds. See the [module docs](crate::engine::save_rule).
pub fn decide(ours: Option<&str>, in_store: InStore<'_>) -> SaveAction {
    let stored = match in_store {
        InStore::Gone => return SaveAction::Drop,
        InStore::Stamps(stored) => stored,
    };
    let Some(ours) = ours else {
        // The request logged the session out (or never had a login): its
        // record holds nothing that could bring a login back.
        return SaveAction::Write;
    };
    let mine = Stamps::decode(ours);
    let Some(stored) = stored else {
        // Not tracked in the store: the clocks were started by this request.
        return match mine {
            Ok(_) => SaveAction::Write,
            Err(_) => SaveAction::Drop,
        };
    };
    match (mine, Stamps::decode(stored)) {
        (Ok(mine), Ok(theirs)) if mine.login_at() == theirs.login_at() => {
            if theirs.last_activity_at() > mine.last_activity_at() {
                SaveAction::WriteStamps(theirs)
            } else {
                SaveAction::Write
            }
        }
        // A login made by this request, after the stored one.
        (Ok(mine), Ok(theirs)) if mine.login_at() > theirs.login_at() => SaveAction::Write,
        // Unreadable on our side: only over the very same text.
        (Err(_), _) if ours == stored => SaveAction::Write,
        // A later login in the store, or unreadable stamps: the stored record wins.
        _ => SaveAction::Drop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Timestamp;

    fn stamps(login: i64, last: i64) -> String {
        Stamps::new(
            Timestamp::from_unix_millis(login),
            Timestamp::from_unix_millis(last),
        )
        .unwrap()
        .encode()
    }

    #[test]
    fn a_record_that_is_gone_is_never_re_created() {
        let ours = stamps(1_000, 5_000);
        assert_eq!(decide(Some(&ours), InStore::Gone), SaveAction::Drop);
        assert_eq!(decide(None, InStore::Gone), SaveAction::Drop);
        assert_eq!(decide(Some("junk"), InStore::Gone), SaveAction::Drop);
    }

    #[test]
    fn a_later_login_in_the_store_wins() {
        let ours = stamps(1_000, 5_000);
        let later_login = stamps(2_000, 2_000);
        assert_eq!(
            decide(Some(&ours), InStore::Stamps(Some(&later_login))),
            SaveAction::Drop,
            "a copy loaded before a new login on the same id"
        );
        assert_eq!(
            decide(Some(&ours), InStore::Stamps(Some("not ours"))),
            SaveAction::Drop,
            "unreadable stamps in the store are not overwritten by a login"
        );
    }

    #[test]
    fn a_login_made_by_this_request_is_written() {
        let earlier = stamps(1_000, 5_000);
        let new_login = stamps(9_000, 9_000);
        assert_eq!(
            decide(Some(&new_login), InStore::Stamps(Some(&earlier))),
            SaveAction::Write,
            "another user signed in on the same id"
        );
        assert_eq!(
            decide(Some(&new_login), InStore::Stamps(None)),
            SaveAction::Write,
            "clocks started for a session signed in before the layer was installed"
        );
    }

    #[test]
    fn the_same_login_keeps_the_later_activity() {
        let earlier = stamps(1_000, 5_000);
        let later = stamps(1_000, 9_000);
        assert_eq!(
            decide(Some(&earlier), InStore::Stamps(Some(&later))),
            SaveAction::WriteStamps(Stamps::decode(&later).unwrap()),
            "last activity never moves backwards"
        );
        assert_eq!(
            decide(Some(&later), InStore::Stamps(Some(&earlier))),
            SaveAction::Write
        );
        assert_eq!(
            decide(Some(&later), InStore::Stamps(Some(&later))),
            SaveAction::Write
        );
    }

    #[test]
    fn a_record_without_stamps_is_written() {
        let stored = stamps(1_000, 5_000);
        assert_eq!(
            decide(None, InStore::Stamps(Some(&stored))),
            SaveAction::Write,
            "the handler logged out (or removed the stamps) itself"
        );
        assert_eq!(decide(None, InStore::Stamps(None)), SaveAction::Write);
    }

    #[test]
    fn unreadable_stamps_of_ours_replace_nothing_but_themselves() {
        let stored = stamps(1_000, 5_000);
        assert_eq!(
            decide(Some("junk"), InStore::Stamps(Some(&stored))),
            SaveAction::Drop
        );
        assert_eq!(
            decide(Some("junk"), InStore::Stamps(Some("junk"))),
            SaveAction::Write
        );
        assert_eq!(
            decide(Some("junk"), InStore::Stamps(None)),
            SaveAction::Drop
        );
    }
}
