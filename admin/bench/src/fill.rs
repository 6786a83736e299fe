//! Filling a store with W1 lifecycles: the benchmarks' case mix (and words to search).

use std::time::Instant;

use anyhow::Context as _;
use serde_json::{Map, json};
use yimen_engine::core::{Actor, Command};
use yimen_engine::runtime::Engine;
use yimen_engine::store::Store;

/// Fills the store up to `cases` W1 lifecycles spread over the twelve months of 2025.
pub(crate) async fn fill(
    store: &Store,
    engine: &Engine,
    clock: &yimen_engine::runtime::ManualClock,
    clerk: &Actor,
    cases: usize,
    clients: usize,
    at: &dyn Fn(u32) -> anyhow::Result<chrono::DateTime<chrono::Utc>>,
) -> anyhow::Result<()> {
    let (held, _) = store.size().await?;
    let missing = cases.saturating_sub(usize::try_from(held).unwrap_or(0));
    if missing > 0 {
        let started = Instant::now();
        for m in 1..=12u32 {
            clock.set(at(m)?);
            let month = missing / 12 + usize::from((m as usize) <= missing % 12);
            let per_client = month.div_ceil(clients.max(1));
            let mut handles = Vec::new();
            for c in 0..clients.max(1) {
                let (engine, clerk) = (engine.clone(), clerk.clone());
                let n = per_client.min(month.saturating_sub(c * per_client));
                let first = (m as usize) * 1_000_000 + c * per_client;
                handles.push(tokio::spawn(
                    async move { lifecycle(&engine, &clerk, n, Some(first)).await },
                ));
            }
            for h in handles {
                h.await??;
            }
            eprintln!(
                "filled 2025-{m:02}: {month} cases ({:.0} s so far)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

/// What filled cases are about: a two-character word of one of these finds about one case in
/// forty (`噪音`, `工资`, `停车`), as in a centre's real mix.
pub(crate) const MATTERS: [&str; 40] = [
    "小区夜间施工噪音扰民",
    "拖欠农民工工资",
    "占道经营影响通行",
    "楼道堆放杂物",
    "路灯损坏不亮",
    "停车位被长期占用",
    "餐馆油烟扰民",
    "物业服务不到位",
    "商品房质量问题",
    "租赁合同押金纠纷",
    "邻里漏水纠纷",
    "渔船作业安全隐患",
    "景区门票价格",
    "快递丢件赔偿",
    "医疗费用争议",
    "交通事故赔偿",
    "宠物伤人纠纷",
    "垃圾清运不及时",
    "违章搭建",
    "供水水压不足",
    "燃气管道异味",
    "学校周边交通拥堵",
    "公交线路调整",
    "养老保险转移",
    "低保申请进度",
    "婚姻家庭矛盾",
    "土地承包纠纷",
    "拆迁补偿标准",
    "海鲜市场缺斤短两",
    "网购退款纠纷",
    "装修工程款结算",
    "劳动合同未签订",
    "加班费未支付",
    "社区健身器材损坏",
    "河道垃圾漂浮",
    "渔港码头秩序",
    "民宿消防隐患",
    "出租车拒载",
    "电梯故障停运",
    "小区绿化被毁",
];

/// Runs `n` W1 lifecycles; with `words`, each case's matter is drawn from [`MATTERS`] by its
/// running number from `words` on.
pub(crate) async fn lifecycle(engine: &Engine, clerk: &Actor, n: usize, words: Option<usize>) -> anyhow::Result<usize> {
    let mut fields = Map::new();
    fields.insert("caller".into(), json!("市民"));
    for i in 0..n {
        if let Some(first) = words {
            fields.insert("matter".into(), json!(MATTERS[(first + i) % MATTERS.len()]));
        }
        let out = engine
            .open_case("w1", "hotline_12345", fields.clone(), None, clerk.clone(), None)
            .await?;
        let id = out.case.id;
        for (action, f) in [
            ("accept", json!({})),
            ("decide", json!({"decision": "grant"})),
            ("resolve", json!({})),
            ("close", json!({})),
        ] {
            let cmd = Command::Act {
                action: action.into(),
                fields: f.as_object().cloned().unwrap_or_default(),
                comment: None,
                expected_version: None,
                assign_to: None,
            };
            engine
                .command(&id, cmd, clerk.clone(), None)
                .await
                .with_context(|| action.to_string())?;
        }
    }
    Ok(n)
}
