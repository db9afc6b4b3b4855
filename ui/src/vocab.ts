// The closed lists, in the order the UI offers them (the same words as the Rust enums).
import type { ConcernCategory } from "./bindings/ConcernCategory";
import type { FeedbackMethod } from "./bindings/FeedbackMethod";
import type { HouseholdKind } from "./bindings/HouseholdKind";
import type { InquiryArea } from "./bindings/InquiryArea";
import type { Purpose } from "./bindings/Purpose";
import type { Rating } from "./bindings/Rating";
import type { Relation } from "./bindings/Relation";
import type { Sex } from "./bindings/Sex";
import type { Tag } from "./bindings/Tag";
import type { Urgency } from "./bindings/Urgency";

export const PURPOSES: readonly Purpose[] = ["warmth", "safety", "law", "mediation", "service", "care"];
export const INQUIRIES: readonly InquiryArea[] = ["stability", "public_order", "fairness", "conduct", "integrity"];
export const RATINGS: readonly Rating[] = ["satisfied", "basic", "dissatisfied"];
export const TAGS: readonly Tag[] = [
  "elderly_alone",
  "low_income",
  "left_behind_children",
  "disabled",
  "migrant_workers",
  "petitioner",
  "key_person",
  "community_correction",
];
export const KINDS: readonly HouseholdKind[] = ["residence", "rental", "shop", "unit"];
export const SEXES: readonly Sex[] = ["male", "female"];
export const RELATIONS: readonly Relation[] = [
  "head",
  "spouse",
  "child",
  "parent",
  "grandchild",
  "sibling",
  "tenant",
  "other",
];
export const CATEGORIES: readonly ConcernCategory[] = [
  "dispute",
  "public_order",
  "safety_hazard",
  "crime_lead",
  "petition",
  "police_conduct",
  "service_request",
  "welfare_need",
];
export const URGENCIES: readonly Urgency[] = ["low", "normal", "high", "urgent"];
export const FEEDBACK: readonly FeedbackMethod[] = ["in_person", "phone", "message", "letter"];
