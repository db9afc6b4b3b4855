//! A realistic demo beat, the same for the same seed: households on the roads and estates of a
//! Chinese community, with residents (common surnames and given names, valid ID numbers and phones),
//! a year of visits, the concerns raised in them and their follow-up tasks. The run command, the
//! tests and the benchmarks all use it.

use crate::error::Result;
use crate::ids::*;
use crate::model::*;
use crate::store::Store;
use crate::store::records::save_in;
use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use ts_rs::TS;
use uuid::Uuid;

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "欧阳", "司马",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟",
    "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "建国", "建华", "国强", "志强", "海燕",
    "淑珍", "玉兰", "子涵", "欣怡", "浩然", "宇轩", "雨桐", "梓萱", "一诺", "思远", "文博", "嘉怡",
    "三", "四", "五", "红梅", "春花", "德福", "秋菊", "晓东", "立新", "卫东",
];
const ROADS: &[&str] = &[
    "幸福路",
    "和平街",
    "建设路",
    "人民路",
    "解放路",
    "胜利街",
    "光明路",
    "团结路",
    "友谊路",
    "新华街",
    "中山路",
    "文化路",
    "朝阳路",
    "东风路",
    "长江路",
    "黄河路",
];
const ESTATES: &[&str] = &[
    "阳光花园",
    "锦绣家园",
    "金色小区",
    "翠湖苑",
    "丰收新村",
    "和谐家园",
    "书香门第",
    "滨江小区",
];
const NOTES: &[&str] = &[
    "老人身体状况良好，叮嘱注意防范电信诈骗。",
    "检查了燃气管道和电线，提醒不要在楼道给电动车充电。",
    "住户反映楼道照明损坏，已记录，跟进物业维修。",
    "宣传反诈知识，帮助安装国家反诈中心APP。",
    "邻里因噪音发生矛盾，现场调解，双方表示理解。",
    "了解家庭近况，孩子在外务工，老人独居，留下联系电话。",
    "询问出租屋租客登记情况，督促房东及时申报。",
    "住户对社区治安表示满意，建议夜间加强巡逻。",
];
const CONCERNS: &[(ConcernCategory, &str)] = &[
    (ConcernCategory::SafetyHazard, "楼道堆放杂物，存在消防隐患"),
    (ConcernCategory::Dispute, "楼上漏水，与邻居协商未果"),
    (ConcernCategory::PublicOrder, "夜间小区门口有人聚集喧哗"),
    (ConcernCategory::ServiceRequest, "咨询身份证补办流程"),
    (
        ConcernCategory::WelfareNeed,
        "老人行动不便，希望社区定期探望",
    ),
    (ConcernCategory::PoliceConduct, "反映报警后出警较慢"),
    (ConcernCategory::Petition, "拆迁补偿问题多次上访"),
    (ConcernCategory::CrimeLead, "发现可疑人员多次在楼下徘徊"),
];

/// What to generate.
#[derive(Debug, Clone)]
pub struct DemoSpec {
    pub seed: u64,
    pub households: u32,
    /// Beats the households are spread over (the device's beats come first).
    pub beats: Vec<String>,
    /// Visits per household at most (a year's worth).
    pub max_visits: u32,
    pub today: NaiveDate,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct DemoSummary {
    pub households: u32,
    pub residents: u32,
    pub visits: u32,
    pub concerns: u32,
    pub tasks: u32,
}

/// The time of the next id, as a laptop mints ids (`Uuid::now_v7` when a record is made): rising
/// along the change log. A record's id does not carry the day its visit happened: dated that way,
/// the demo's ids fell in no order along its log, which no laptop's do, and the station took each
/// at a random place in its indexes (about 30% of the demo's whole sync, docs/perf/README.md).
struct IdClock {
    next_ms: u64,
}

/// A UUIDv7 id drawn from the seeded generator and the demo's id clock, so the same seed gives
/// the same ids.
fn seeded_id(rng: &mut ChaCha8Rng, clock: &mut IdClock) -> Uuid {
    let bytes: [u8; 10] = rng.random();
    clock.next_ms += 1;
    uuid::Builder::from_unix_timestamp_millis(clock.next_ms, &bytes).into_uuid()
}

fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

fn name(rng: &mut ChaCha8Rng) -> String {
    format!("{}{}", pick(rng, SURNAMES), pick(rng, GIVEN))
}

fn phone(rng: &mut ChaCha8Rng) -> String {
    let prefix = pick(
        rng,
        &[
            "138", "139", "135", "136", "150", "151", "186", "187", "177", "199",
        ],
    );
    format!("{prefix}{:08}", rng.random_range(0..100_000_000u32))
}

fn id_number(rng: &mut ChaCha8Rng, birth: NaiveDate, sex: Sex) -> String {
    let seq = rng.random_range(0..50u32) * 2 + u32::from(sex == Sex::Male);
    let first17 = format!(
        "{}{}{:03}",
        pick(rng, &["110105", "310104", "440106", "510107", "420102"]),
        birth.format("%Y%m%d"),
        seq * 10 % 1000 + seq % 10
    );
    format!("{first17}{}", crate::validate::id_check_char(&first17))
}

fn address(rng: &mut ChaCha8Rng) -> String {
    if rng.random_bool(0.6) {
        format!(
            "{}{}号{}栋{}单元{}{:02}",
            pick(rng, ESTATES),
            rng.random_range(1..60),
            rng.random_range(1..30),
            rng.random_range(1..6),
            rng.random_range(1..19),
            rng.random_range(1..5)
        )
    } else {
        format!("{}{}号", pick(rng, ROADS), rng.random_range(1..400))
    }
}

/// Generates the demo beat into `store` (which must have a device) in one transaction.
pub fn generate(store: &mut Store, spec: &DemoSpec) -> Result<DemoSummary> {
    let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
    let mut summary = DemoSummary::default();
    let start = spec
        .today
        .and_hms_opt(9, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or_default();
    let mut ids = IdClock {
        next_ms: start.timestamp_millis().max(0) as u64,
    };
    let officer = store.device()?.officer_name.clone();
    let beats = if spec.beats.is_empty() {
        store.device()?.beats.clone()
    } else {
        spec.beats.clone()
    };
    let mut used_addresses = std::collections::HashSet::new();
    let policy = store.visit_policy()?;
    store.with_tx(|tx, device| {
        for _ in 0..spec.households {
            // Most households were registered long ago; a few are new and not yet visited.
            let new_household = rng.random_bool(0.03);
            let registered = start
                - Duration::days(if new_household {
                    rng.random_range(1..40)
                } else {
                    rng.random_range(400..2500)
                });
            let mut addr = address(&mut rng);
            while !used_addresses.insert(crate::address::normalize(&addr)) {
                addr = format!("{addr}{}", rng.random_range(1..9));
            }
            let kind = *pick(
                &mut rng,
                &[
                    HouseholdKind::Residence,
                    HouseholdKind::Residence,
                    HouseholdKind::Residence,
                    HouseholdKind::Rental,
                    HouseholdKind::Shop,
                ],
            );
            let mut h = Household::new(pick(&mut rng, &beats).clone(), addr, kind);
            h.id = HouseholdId(seeded_id(&mut rng, &mut ids));
            h.registered_at = registered;
            for t in Tag::ALL {
                if rng.random_bool(0.06) {
                    h.tags.push(*t);
                }
            }
            let elderly_alone = h.tags.contains(&Tag::ElderlyAlone);
            save_in(tx, device, &h)?;
            summary.households += 1;

            let size = if elderly_alone {
                1
            } else {
                rng.random_range(1..=5)
            };
            let mut residents = Vec::new();
            for i in 0..size {
                let age = if elderly_alone {
                    rng.random_range(70..95)
                } else {
                    rng.random_range(3..85)
                };
                let birth = spec.today - Duration::days(age * 365 + rng.random_range(0..365));
                let sex = if rng.random_bool(0.5) {
                    Sex::Male
                } else {
                    Sex::Female
                };
                let mut r = Resident::new(h.id, name(&mut rng));
                r.id = ResidentId(seeded_id(&mut rng, &mut ids));
                r.sex = Some(sex);
                r.birth_date = Some(birth);
                r.relation = Some(if i == 0 {
                    Relation::Head
                } else {
                    *pick(
                        &mut rng,
                        &[Relation::Spouse, Relation::Child, Relation::Parent],
                    )
                });
                if age >= 16 {
                    r.phone = phone(&mut rng);
                    r.id_number = id_number(&mut rng, birth, sex);
                }
                save_in(tx, device, &r)?;
                residents.push(r.id);
                summary.residents += 1;
            }

            // Visits follow the household's interval: the last one somewhere in the last 1.15
            // intervals (so some 10-15% are overdue, as on a real beat), earlier ones an interval
            // apart, with the jitter of real rounds.
            let interval = i64::from(policy.interval_days(&h.tags));
            let visits = if new_household {
                0
            } else {
                rng.random_range(1..=spec.max_visits.max(1))
            };
            let mut at =
                start - Duration::minutes(rng.random_range(60..(interval * 115 / 100) * 24 * 60));
            for _ in 0..visits {
                if at < registered {
                    break;
                }
                let mut purposes = vec![*pick(&mut rng, Purpose::ALL)];
                if elderly_alone && !purposes.contains(&Purpose::Warmth) {
                    purposes.push(Purpose::Warmth);
                }
                let v = Visit {
                    id: VisitId(seeded_id(&mut rng, &mut ids)),
                    version: 0,
                    household_id: h.id,
                    visited_at: at,
                    officers: vec![officer.clone()],
                    purposes,
                    met: vec![*pick(&mut rng, &residents)],
                    notes: pick(&mut rng, NOTES).to_string(),
                    inquiry_areas: vec![*pick(&mut rng, InquiryArea::ALL)],
                    rating: Some(*pick(
                        &mut rng,
                        &[
                            Rating::Satisfied,
                            Rating::Satisfied,
                            Rating::Satisfied,
                            Rating::Basic,
                            Rating::Dissatisfied,
                        ],
                    )),
                    opinions: String::new(),
                    location: String::new(),
                    deleted: false,
                };
                save_in(tx, device, &v)?;
                summary.visits += 1;
                at -= Duration::days(interval)
                    + Duration::minutes(rng.random_range(-(interval * 6 * 60)..interval * 6 * 60));
                if rng.random_bool(0.12) {
                    let (category, text) = *pick(&mut rng, CONCERNS);
                    let mut c = Concern::new(h.id, category, text);
                    c.id = ConcernId(seeded_id(&mut rng, &mut ids));
                    c.visit_id = Some(v.id);
                    c.raised_at = at;
                    c.reporter_id = v.met.first().copied();
                    c.confidential = category == ConcernCategory::CrimeLead;
                    // Old concerns are mostly settled and answered; recent ones are at every stage.
                    c.status = if start - at > Duration::days(45) && rng.random_bool(0.92) {
                        ConcernStatus::Closed
                    } else {
                        *pick(
                            &mut rng,
                            &[
                                ConcernStatus::Raised,
                                ConcernStatus::InProgress,
                                ConcernStatus::Resolved,
                                ConcernStatus::Closed,
                            ],
                        )
                    };
                    if c.status == ConcernStatus::Closed {
                        let told = at + Duration::days(rng.random_range(1..20));
                        c.feedback.at = Some(told.min(start));
                        c.feedback.method = Some(FeedbackMethod::Phone);
                        c.feedback.note = "已电话告知处理结果，群众表示满意。".into();
                        c.closed_at = c.feedback.at;
                    }
                    save_in(tx, device, &c)?;
                    summary.concerns += 1;
                    if c.status != ConcernStatus::Raised {
                        let due = (at + Duration::days(rng.random_range(3..30))).date_naive();
                        let mut t = Task::new(h.id, format!("跟进：{text}"), officer.clone(), due);
                        t.id = TaskId(seeded_id(&mut rng, &mut ids));
                        t.concern_id = Some(c.id);
                        if matches!(c.status, ConcernStatus::Resolved | ConcernStatus::Closed) {
                            t.status = TaskStatus::Done;
                            t.result = "已协调相关部门处理完毕。".into();
                        }
                        save_in(tx, device, &t)?;
                        summary.tasks += 1;
                    }
                }
            }
        }
        Ok(())
    })?;
    Ok(summary)
}
