// A validator for OCSF events against the schema files in tests/fixtures/ocsf (see NOTE.md there):
// required attributes, no attribute the class or object does not define, types from the
// dictionary (arrays, objects recursively, integer/long/string/boolean), enum values, and the
// class_uid / category_uid / type_uid arithmetic. Written from the schema's own JSON, not from our
// formatter, so it can disagree with it.
import fs from "node:fs";
import path from "node:path";

type AttrDef = {
  requirement?: string;
  type?: string;
  is_array?: boolean;
  object_type?: string;
  enum?: Record<string, unknown>;
};
type Def = {
  name?: string;
  uid?: number;
  extends?: string;
  category?: string;
  attributes: Record<string, unknown>;
};

const ROOT = path.resolve(import.meta.dirname, "../fixtures/ocsf");
const DIR = path.join(ROOT, "1.7.0");
const read = (p: string): Def => JSON.parse(fs.readFileSync(path.join(DIR, p), "utf8"));
const dictionary = JSON.parse(fs.readFileSync(path.join(DIR, "dictionary.json"), "utf8")) as {
  attributes: Record<string, AttrDef>;
  types: { attributes: Record<string, { type?: string }> };
};
const categories = JSON.parse(fs.readFileSync(path.join(DIR, "categories.json"), "utf8")) as {
  attributes: Record<string, { uid: number }>;
};
const delegation = JSON.parse(fs.readFileSync(path.join(ROOT, "extensions/delegation.json"), "utf8")) as Def;

/** OCSF merges an attribute's enum across base, category and class (the base adds 0 and 99). */
function mergeAttr(a: AttrDef | undefined, b: AttrDef): AttrDef {
  const merged = { ...a, ...b };
  if (a?.enum && b.enum) merged.enum = { ...a.enum, ...b.enum };
  return merged;
}

/** A definition's attributes with its $include files and (for objects) its `extends` chain merged. */
function attributesOf(def: Def, kind: "objects" | "events"): Record<string, AttrDef> {
  let out: Record<string, AttrDef> = {};
  if (def.extends && kind === "objects") out = attributesOf(read(`objects/${def.extends}.json`), kind);
  for (const inc of (def.attributes.$include as string[] | undefined) ?? []) {
    const included = read(inc);
    // A profile's attributes count only where the event declares the profile: optional here.
    const profile = inc.startsWith("profiles/");
    for (const [k, v] of Object.entries(attributesOf(included, kind)))
      out[k] = { ...mergeAttr(out[k], v), ...(profile ? { requirement: "optional" } : {}) };
  }
  for (const [k, v] of Object.entries(def.attributes)) {
    if (k === "$include") continue;
    out[k] = mergeAttr(out[k], v as AttrDef);
  }
  return out;
}

const CLASSES: Record<number, { file: string; category: string }> = {
  6003: { file: "events/application/api_activity.json", category: "application" },
  3005: { file: "events/iam/user_access.json", category: "iam" },
};

function classAttributes(classUid: number): Record<string, AttrDef> | null {
  const c = CLASSES[classUid];
  if (!c) return null;
  const base = attributesOf(read("events/base_event.json"), "events");
  const category = attributesOf(read(`events/${c.category}/${c.category}.json`), "events");
  const cls = attributesOf(read(c.file), "events");
  const merged: Record<string, AttrDef> = { ...base };
  for (const part of [category, cls])
    for (const [k, v] of Object.entries(part)) merged[k] = mergeAttr(merged[k], v);
  return merged;
}

function baseType(t: string | undefined): string {
  let type = t ?? "string_t";
  for (let i = 0; i < 5; i++) {
    const parent = dictionary.types.attributes[type]?.type;
    if (!parent || parent === type) break;
    type = parent;
  }
  return type;
}

function checkValue(where: string, value: unknown, def: AttrDef, errors: string[]) {
  const dict =
    dictionary.attributes[
      where
        .split(".")
        .pop()
        ?.replace(/\[\d+\]$/, "") ?? ""
    ] ?? {};
  const isArray = def.is_array ?? dict.is_array ?? false;
  const type = def.type ?? dict.type;
  const objectType = def.object_type ?? dict.object_type;
  if (isArray) {
    if (!Array.isArray(value)) return void errors.push(`${where}: must be an array`);
    value.forEach((v, i) => {
      checkValue(`${where}[${i}]`, v, { ...def, is_array: false, type, object_type: objectType }, errors);
    });
    return;
  }
  // The dictionary names an object attribute's type by the object's name ("metadata", "user").
  const objectName = type && !type.endsWith("_t") ? type : type === "object_t" ? objectType : undefined;
  if (objectName || type === "object_t") {
    if (!value || typeof value !== "object" || Array.isArray(value))
      return void errors.push(`${where}: must be an object`);
    // "object" is OCSF's free-form object (unmapped): anything goes inside.
    if (objectName && objectName !== "object")
      validateObject(
        where,
        value as Record<string, unknown>,
        attributesOf(read(`objects/${objectName}.json`), "objects"),
        errors,
      );
    return;
  }
  const t = baseType(type);
  if (t === "json_t") return;
  if (t === "integer_t" || t === "long_t") {
    if (!Number.isInteger(value)) return void errors.push(`${where}: must be an integer (${type})`);
  } else if (t === "float_t") {
    if (typeof value !== "number") return void errors.push(`${where}: must be a number`);
  } else if (t === "boolean_t") {
    if (typeof value !== "boolean") return void errors.push(`${where}: must be a boolean`);
  } else if (typeof value !== "string") return void errors.push(`${where}: must be a string (${type})`);
  const values = def.enum ?? dict.enum;
  // The uids are checked by their arithmetic in validateOcsf (their enums are filled per class).
  const uid = /(^|\.)(class|category|type)_uid$/.test(where);
  if (values && !uid && (t === "integer_t" || t === "long_t") && !(String(value) in values))
    errors.push(`${where}: ${String(value)} is not one of ${Object.keys(values).join(", ")}`);
}

function validateObject(
  where: string,
  obj: Record<string, unknown>,
  attrs: Record<string, AttrDef>,
  errors: string[],
) {
  for (const [k, def] of Object.entries(attrs))
    if (def.requirement === "required" && !(k in obj))
      errors.push(`${where ? `${where}.` : ""}${k}: required`);
  for (const [k, v] of Object.entries(obj)) {
    const at = where ? `${where}.${k}` : k;
    if (k === "delegation" && !where) {
      if (!v || typeof v !== "object") errors.push(`${at}: must be an object`);
      else
        validateObject(
          at,
          v as Record<string, unknown>,
          delegation.attributes as Record<string, AttrDef>,
          errors,
        );
      continue;
    }
    const def = attrs[k];
    if (!def) {
      errors.push(`${at}: not an attribute of this ${where ? "object" : "class"}`);
      continue;
    }
    if (v === null || v === undefined) continue;
    checkValue(at, v, def, errors);
  }
}

/** Problems with one OCSF event; empty when it conforms. */
export function validateOcsf(event: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const classUid = event.class_uid as number;
  const attrs = classAttributes(classUid);
  if (!attrs) return [`class_uid ${String(classUid)} is not a class these fixtures hold`];
  const c = CLASSES[classUid] as { category: string };
  const categoryUid = categories.attributes[c.category]?.uid;
  if (event.category_uid !== categoryUid)
    errors.push(`category_uid: must be ${categoryUid} for class ${classUid}`);
  if (event.type_uid !== classUid * 100 + (event.activity_id as number))
    errors.push("type_uid: must be class_uid * 100 + activity_id");
  validateObject("", event, attrs, errors);
  return errors;
}
