//! A bureau with a station enrolled, and what officers record at that station.

use super::bureau::Bureau;
use super::postgres::Postgres;
use super::support::{Device, Station, new_household};
use doorstep_core::model::{
    Concern, ConcernCategory, Household, InquiryArea, Purpose, Rating, Resident, Visit,
};

pub struct World {
    pub pg: Postgres,
    pub bureau: Bureau,
}

impl World {
    pub fn start() -> World {
        let pg = Postgres::start();
        let bureau = Bureau::start(&pg);
        World { pg, bureau }
    }

    /// A station enrolled with the bureau as `name` (through the station's API, as its
    /// administrator would), replicating only when asked (`send`).
    pub fn station(&self, name: &str) -> Station {
        let station = Station::start_with(&["--bureau-every", "3600"]);
        let code = self.bureau.station_code(name);
        let (status, body) = station.request(
            "POST",
            "bureau/enroll",
            &station.admin_token,
            Some(&serde_json::json!({ "url": self.bureau.url, "code": code })),
        );
        assert_eq!(status, 200, "{body}");
        let answer: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(
            answer["fingerprint"],
            self.bureau.fingerprint(),
            "the bureau's certificate is pinned"
        );
        assert_eq!(answer["status"]["station_name"], name);
        station
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.pg.psql(sql).parse().unwrap()
    }
}

/// Sends what the bureau does not hold yet, through the station's API: what was sent.
pub fn send(station: &Station) -> serde_json::Value {
    let (status, body) = station.request("POST", "bureau/send", &station.staff_token, None);
    assert_eq!(status, 200, "{body}");
    serde_json::from_str(&body).unwrap()
}

/// A visit recorded on a laptop.
pub fn visit(
    device: &mut Device,
    household: &Household,
    areas: Vec<InquiryArea>,
    opinions: &str,
    rating: Option<Rating>,
) -> Visit {
    let v = Visit {
        id: doorstep_core::ids::VisitId::new(),
        version: 0,
        household_id: household.id,
        visited_at: doorstep_core::time::now(),
        officers: vec!["民警".into()],
        purposes: vec![Purpose::Warmth, Purpose::Safety],
        met: vec![],
        notes: "入户走访".into(),
        inquiry_areas: areas,
        rating,
        opinions: opinions.into(),
        location: String::new(),
        deleted: false,
    };
    device.store.save(&v).unwrap();
    v
}

/// One beat's work at a station: a household with two residents (one with an ID number and birth
/// date), a visit with an opinion about work style, a complaint about the police whose reporter
/// is confidential, and an open dispute.
pub struct Beat {
    pub device: Device,
    pub household: Household,
    pub complaint: Concern,
    pub conduct_visit: Visit,
}

pub fn record_beat(
    station: &Station,
    officer: &str,
    beat: &str,
    address: &str,
    person: (&str, &str, &str),
) -> Beat {
    let mut device = Device::new(station, officer, beat);
    let household = new_household(&mut device, beat, address);
    let mut resident = Resident::new(household.id, person.0);
    resident.id_number = person.1.into();
    resident.birth_date = Some(person.2.parse().unwrap());
    device.store.save(&resident).unwrap();
    device
        .store
        .save(&Resident::new(household.id, "王小明"))
        .unwrap();
    let conduct_visit = visit(
        &mut device,
        &household,
        vec![InquiryArea::Conduct],
        "民警态度生硬",
        Some(Rating::Dissatisfied),
    );
    let mut complaint = Concern::new(
        household.id,
        ConcernCategory::PoliceConduct,
        "反映某民警接警后未出警",
    );
    complaint.reporter_name = "举报人甲".into();
    complaint.confidential = true;
    device.store.save(&complaint).unwrap();
    device
        .store
        .save(&Concern::new(
            household.id,
            ConcernCategory::Dispute,
            "邻里噪音纠纷",
        ))
        .unwrap();
    device.sync();
    Beat {
        device,
        household,
        complaint,
        conduct_visit,
    }
}
