//! Periodic jobs on three `yimen serve` processes started together on one PostgreSQL database
//! whose centre was installed more than a year ago: every node's scheduler finds the same
//! backlog (about 57 weekly spot-checks, 13 monthly bulletins, an annual assessment) and races
//! the others for it. Each period runs once — one ledger row, claimed once, one stored report —
//! and each announcement reaches each person on its distribution list once, through a real SMTP
//! server.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::cluster::{count, drop_database, psql, scratch_database};
use crate::smtp::{read_maildir, start_smtp};
use crate::support::Server;

#[test]
fn three_nodes_catching_up_a_year_of_periodic_jobs_run_each_period_once() {
    let (base, url) = scratch_database("jobs");
    let dir = tempfile::tempdir().expect("tempdir");
    let maildir = dir.path().join("mail");
    let smtp = start_smtp(&maildir);
    let smtp_url = format!("smtp://127.0.0.1:{}?tls=none&from=yimen@centre.example", smtp.port);
    let wf = yimen_tests::workflows().display().to_string();
    let args = [
        "serve",
        "--db",
        url.as_str(),
        "--bind",
        "127.0.0.1:0",
        "--workflows",
        wf.as_str(),
        "--smtp",
        smtp_url.as_str(),
    ];
    let env = [("YIMEN_NOTIFY_BACKOFF_MS", "300")];
    // Install the centre (the first deployment), then date the installation 400 days back.
    let first = Server::start_with_env(&args, &env);
    first.signal("-TERM");
    assert!(first.wait().0.success());
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM job_runs"),
        0,
        "nothing was due at installation"
    );
    psql(
        &url,
        "UPDATE definition_versions SET deployed_at = deployed_at - CAST(400 AS BIGINT) * 86400000",
    );
    // Three nodes at once.
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let (args, env) = (args.map(str::to_owned), env.map(|(k, v)| (k.to_owned(), v.to_owned())));
            std::thread::spawn(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                Server::start_with_env(&args, &env)
            })
        })
        .collect();
    let nodes: Vec<Server> = starting.into_iter().map(|t| t.join().expect("a node")).collect();

    // Wait for the backlog to be worked off and every announcement sent.
    let deadline = Instant::now() + Duration::from_secs(240);
    let runs = loop {
        let runs = count(&url, "SELECT COUNT(*) FROM job_runs");
        let open = count(&url, "SELECT COUNT(*) FROM job_runs WHERE state <> 'done'")
            + count(&url, "SELECT COUNT(*) FROM outbox WHERE state = 'pending'")
            + count(
                &url,
                "SELECT COUNT(*) FROM deliveries WHERE state IN ('pending', 'retrying')",
            );
        if runs >= 60 && open == 0 {
            break runs;
        }
        assert!(
            Instant::now() < deadline,
            "after 240 s: {runs} job runs, {open} runs or notifications not finished"
        );
        std::thread::sleep(Duration::from_secs(1));
    };
    // Every node's scheduler looks once more after the backlog (its pass counter moves; the
    // poll is 30 s) and finds nothing left to run.
    let passes = "yimen_scheduler_passes_total";
    let before: Vec<u64> = nodes.iter().map(|n| n.counter(passes)).collect();
    let deadline = Instant::now() + Duration::from_secs(90);
    while nodes.iter().zip(&before).any(|(n, b)| n.counter(passes) <= *b) {
        assert!(Instant::now() < deadline, "a node's scheduler stopped passing");
        std::thread::sleep(Duration::from_millis(200));
    }
    // Once each: claimed once, finished, one stored output per period.
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM job_runs"),
        runs,
        "no run after the backlog"
    );
    let twice = psql(
        &url,
        "SELECT COALESCE(string_agg(job || ' ' || period || ' x' || attempts, ', '), '') FROM job_runs WHERE attempts <> 1",
    );
    assert!(twice.is_empty(), "runs claimed more than once: {twice}");
    assert_eq!(
        count(&url, "SELECT COUNT(*) FROM reports"),
        runs,
        "one stored output per run"
    );
    for (job, at_least) in [
        ("weekly_spot_check", 50),
        ("monthly_bulletin", 12),
        ("annual_assessment", 1),
    ] {
        let n = count(&url, &format!("SELECT COUNT(*) FROM job_runs WHERE job = '{job}'"));
        assert!(n >= at_least, "{job}: {n} periods run");
    }
    // Each announcement once per person: as many emails as deliveries, no (subject, person)
    // twice, one Message-ID each.
    let deliveries = count(
        &url,
        "SELECT COUNT(*) FROM deliveries WHERE channel = 'email' AND state = 'delivered'",
    );
    let started = Instant::now();
    let mails = loop {
        let m = read_maildir(&maildir);
        if m.len() as u64 >= deliveries || started.elapsed() > Duration::from_secs(20) {
            break m;
        }
        std::thread::sleep(Duration::from_millis(300));
    };
    assert!(deliveries > 100, "announcements were sent: {deliveries}");
    assert_eq!(mails.len() as u64, deliveries, "each sent delivery arrived once");
    let pairs: BTreeSet<(String, String)> = mails
        .iter()
        .map(|m| (m["subject"].to_string(), m["to"].to_string()))
        .collect();
    assert_eq!(pairs.len(), mails.len(), "nobody got one announcement twice");
    let ids: BTreeSet<&str> = mails.iter().filter_map(|m| m["message_id"].as_str()).collect();
    assert_eq!(ids.len(), mails.len(), "one Message-ID per email");
    // The nodes' own accounts agree: each period was run by exactly one of them.
    let mut by_node = Vec::new();
    let mut ran = BTreeSet::new();
    for n in nodes {
        n.signal("-TERM");
        let (status, lines) = n.wait();
        assert!(status.success());
        let mine: Vec<String> = lines
            .iter()
            .filter_map(|l| l.split_once(" job ").map(|(_, rest)| rest))
            .filter_map(|rest| rest.split_once(':').map(|(what, _)| what.to_owned()))
            .filter(|what| what.contains(" for "))
            .collect();
        by_node.push(mine.len());
        for what in mine {
            assert!(ran.insert(what.clone()), "{what} was run by two nodes");
        }
    }
    assert_eq!(
        ran.len() as u64,
        runs,
        "every period's run is in one node's log: {by_node:?}"
    );
    eprintln!(
        "{runs} periods run once each (by node: {by_node:?}); {} announcement emails, none twice",
        mails.len()
    );
    drop_database(&base, &url);
}
