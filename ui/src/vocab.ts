// The closed lists, in the order the UI offers them: the order the core declares them in
// (crates/core/src/model/vocab.rs), read from the generated vocabulary, typed by the Rust enums.
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
import { vocabulary, type Vocabulary } from "./bindings/vocabulary";

/** The stored words of one list, in order. */
const words = <T extends string>(group: keyof Vocabulary): readonly T[] =>
  Object.keys(vocabulary["zh-CN"][group]) as T[];

export const PURPOSES = words<Purpose>("purpose");
export const INQUIRIES = words<InquiryArea>("inquiry");
export const RATINGS = words<Rating>("rating");
export const TAGS = words<Tag>("tag");
export const KINDS = words<HouseholdKind>("household_kind");
export const SEXES = words<Sex>("sex");
export const RELATIONS = words<Relation>("relation");
export const CATEGORIES = words<ConcernCategory>("category");
export const URGENCIES = words<Urgency>("urgency");
export const FEEDBACK = words<FeedbackMethod>("feedback");
