// Generated from crates/core/src/model/vocab.rs by its tests: do not edit by hand.

const zhCN = {
  household_kind: {
    residence: "住宅",
    rental: "出租屋",
    shop: "商铺",
    unit: "单位/场所",
  },
  tag: {
    elderly_alone: "独居老人",
    low_income: "低保户",
    left_behind_children: "留守儿童",
    disabled: "残疾人",
    migrant_workers: "流动人口",
    petitioner: "信访人员",
    key_person: "重点人员",
    community_correction: "社区矫正对象",
  },
  sex: {
    male: "男",
    female: "女",
  },
  relation: {
    head: "户主",
    spouse: "配偶",
    child: "子女",
    parent: "父母",
    grandchild: "孙子女",
    sibling: "兄弟姐妹",
    tenant: "租户",
    other: "其他",
  },
  purpose: {
    warmth: "送温暖",
    safety: "送平安",
    law: "送法律",
    mediation: "送调解",
    service: "送服务",
    care: "送关爱",
  },
  inquiry: {
    stability: "影响和谐稳定",
    public_order: "影响社会治安",
    fairness: "影响执法公正",
    conduct: "影响作风形象",
    integrity: "影响队伍廉洁",
  },
  rating: {
    satisfied: "满意",
    basic: "基本满意",
    dissatisfied: "不满意",
  },
  category: {
    dispute: "矛盾纠纷",
    public_order: "治安问题",
    safety_hazard: "安全隐患",
    crime_lead: "线索",
    petition: "信访",
    police_conduct: "对民警的意见/投诉",
    service_request: "办事需求",
    welfare_need: "帮扶需求",
  },
  urgency: {
    low: "一般",
    normal: "普通",
    high: "较急",
    urgent: "紧急",
  },
  concern_status: {
    raised: "已登记",
    in_progress: "办理中",
    resolved: "已整改，未告知",
    closed: "已反馈办结",
  },
  task_status: {
    open: "待办",
    in_progress: "办理中",
    done: "已办结",
    cancelled: "已取消",
  },
  task_kind: {
    follow_up: "跟进",
    return_visit: "回访",
  },
  feedback: {
    in_person: "当面",
    phone: "电话",
    message: "短信/微信",
    letter: "书面",
  },
};

const en: typeof zhCN = {
  household_kind: {
    residence: "Residence",
    rental: "Rental",
    shop: "Shop",
    unit: "Unit",
  },
  tag: {
    elderly_alone: "Elderly alone",
    low_income: "Low income",
    left_behind_children: "Left-behind children",
    disabled: "Disabled",
    migrant_workers: "Migrant workers",
    petitioner: "Petitioner",
    key_person: "Key person",
    community_correction: "Community correction",
  },
  sex: {
    male: "Male",
    female: "Female",
  },
  relation: {
    head: "Head",
    spouse: "Spouse",
    child: "Child",
    parent: "Parent",
    grandchild: "Grandchild",
    sibling: "Sibling",
    tenant: "Tenant",
    other: "Other",
  },
  purpose: {
    warmth: "Warmth",
    safety: "Safety",
    law: "Law",
    mediation: "Mediation",
    service: "Service",
    care: "Care",
  },
  inquiry: {
    stability: "Stability",
    public_order: "Public order",
    fairness: "Fair enforcement",
    conduct: "Work style",
    integrity: "Integrity",
  },
  rating: {
    satisfied: "Satisfied",
    basic: "Basically satisfied",
    dissatisfied: "Dissatisfied",
  },
  category: {
    dispute: "Dispute",
    public_order: "Public order",
    safety_hazard: "Safety hazard",
    crime_lead: "Crime lead",
    petition: "Petition",
    police_conduct: "Police conduct",
    service_request: "Service request",
    welfare_need: "Welfare need",
  },
  urgency: {
    low: "Low",
    normal: "Normal",
    high: "High",
    urgent: "Urgent",
  },
  concern_status: {
    raised: "Raised",
    in_progress: "In progress",
    resolved: "Resolved, resident not told",
    closed: "Closed, resident told",
  },
  task_status: {
    open: "Open",
    in_progress: "In progress",
    done: "Done",
    cancelled: "Cancelled",
  },
  task_kind: {
    follow_up: "Follow-up",
    return_visit: "Return visit",
  },
  feedback: {
    in_person: "In person",
    phone: "Phone",
    message: "Message",
    letter: "Letter",
  },
};

/** The closed lists' labels, by language, group and stored word. */
export const vocabulary = { "zh-CN": zhCN, en };
export type Vocabulary = typeof zhCN;
