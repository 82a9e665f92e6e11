//! Classifying a request lost with its connection (`docs/DESIGN.md` P7, P8).

use super::entry::Wire;
use crate::outcome::{CloseReason, Lesson, Progress, Retry};

/// What is known about the loss of a connection.
pub(crate) struct LossContext {
    pub(crate) reason: CloseReason,
    pub(crate) lesson: Lesson,
    /// Bytes of the output stream the transport accepted.
    pub(crate) accepted: u64,
}

/// How far a request got, and what may be done with it:
///
/// * not written → move, no try spent;
/// * written after a response that closed the connection → move: RFC 9112
///   §9.6 forbids the server to process it, whatever its method (P7);
/// * idempotent and lost in the stale-connection race → move (P6);
/// * written or partly written (or its response partly received) and
///   replayable → replay, a try spent;
/// * otherwise never: it may have been processed.
pub(crate) fn classify(wire: Option<Wire>, receiving: bool, replayable: bool, loss: &LossContext) -> (Progress, Retry) {
    let written = wire.map_or(Progress::NotWritten, |w| w.progress(loss.accepted));
    if written == Progress::NotWritten && !receiving {
        return (Progress::NotWritten, Retry::Move);
    }
    let progress = if receiving { Progress::ResponsePartlyReceived } else { written };
    let retry = if loss.reason == CloseReason::ServerClose || (loss.lesson == Lesson::StaleRace && replayable) {
        Retry::Move
    } else if replayable {
        Retry::Replay
    } else {
        Retry::Never
    };
    (progress, retry)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOST: LossContext = LossContext { reason: CloseReason::Transport, lesson: Lesson::Nothing, accepted: 10 };

    #[test]
    fn unwritten_requests_move_whatever_their_method() {
        let queued = classify(None, false, false, &LOST);
        assert_eq!(queued, (Progress::NotWritten, Retry::Move));
        let encoded_not_accepted = classify(Some(Wire { start: 10, end: 20 }), false, false, &LOST);
        assert_eq!(encoded_not_accepted, (Progress::NotWritten, Retry::Move));
    }

    #[test]
    fn written_requests_replay_only_when_idempotent() {
        let written = Some(Wire { start: 0, end: 10 });
        assert_eq!(classify(written, false, true, &LOST), (Progress::Written, Retry::Replay));
        assert_eq!(classify(written, false, false, &LOST), (Progress::Written, Retry::Never));
        let partly = Some(Wire { start: 5, end: 15 });
        assert_eq!(classify(partly, false, false, &LOST), (Progress::PartlyWritten, Retry::Never));
        assert_eq!(classify(written, true, true, &LOST), (Progress::ResponsePartlyReceived, Retry::Replay));
    }

    #[test]
    fn requests_behind_a_close_response_move_even_when_not_idempotent() {
        let close = LossContext { reason: CloseReason::ServerClose, lesson: Lesson::ServerClose, accepted: 10 };
        assert_eq!(classify(Some(Wire { start: 0, end: 10 }), false, false, &close), (Progress::Written, Retry::Move));
    }

    #[test]
    fn the_stale_race_moves_idempotent_requests_only() {
        let stale = LossContext { reason: CloseReason::PeerClosed, lesson: Lesson::StaleRace, accepted: 10 };
        let written = Some(Wire { start: 0, end: 10 });
        assert_eq!(classify(written, false, true, &stale), (Progress::Written, Retry::Move));
        assert_eq!(classify(written, false, false, &stale), (Progress::Written, Retry::Never));
    }
}
