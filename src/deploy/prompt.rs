//! Asking before changing anything: only a person at a terminal (or `--yes`) can say yes. The
//! question goes through [`Report::confirm`]; the front end reads the answer.

use super::Report;
use super::error::Error;

/// Proceeds when `yes`; otherwise asks `question` through `report`. Refuses (an error, exit 1)
/// when nobody can answer or the answer is not yes; `refusal` says what was not done.
pub(crate) fn confirm(report: &dyn Report, question: &str, yes: bool, refusal: &str) -> Result<(), Error> {
    if yes {
        return Ok(());
    }
    match report.confirm(question) {
        Ok(true) => Ok(()),
        Ok(false) => Err(Error::failed(format!("{refusal}: not confirmed"))),
        Err(why) => Err(Error::failed(format!("{refusal}: {why}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Answers with `answer` and remembers what it was asked.
    struct Answering {
        answer: Result<bool, String>,
        asked: Mutex<Vec<String>>,
    }

    impl Report for Answering {
        fn result(&self, _: &str) {}
        fn progress(&self, _: &str) {}
        fn warning(&self, _: &str) {}
        fn confirm(&self, question: &str) -> Result<bool, String> {
            self.asked.lock().unwrap().push(question.to_owned());
            self.answer.clone()
        }
    }

    fn ask(answer: Result<bool, String>, yes: bool) -> (Result<(), String>, Vec<String>) {
        let report = Answering { answer, asked: Mutex::new(Vec::new()) };
        let result = confirm(&report, "Delete stack s?", yes, "stack s was not deleted").map_err(|e| e.to_string());
        (result, report.asked.into_inner().unwrap())
    }

    #[test]
    fn yes_goes_ahead_without_asking() {
        assert_eq!(ask(Ok(false), true), (Ok(()), vec![]));
    }

    #[test]
    fn the_answer_decides_and_a_refusal_says_what_was_not_done() {
        assert_eq!(ask(Ok(true), false), (Ok(()), vec!["Delete stack s?".to_owned()]));
        assert_eq!(ask(Ok(false), false).0, Err("stack s was not deleted: not confirmed".to_owned()));
        assert_eq!(
            ask(Err("stdin is not a terminal".to_owned()), false).0,
            Err("stack s was not deleted: stdin is not a terminal".to_owned())
        );
    }
}
