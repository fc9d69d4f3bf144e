//! Full validation once per document, not once per request.
//!
//! async-graphql validates every request against every rule: a quarter of
//! the server's CPU on a one-row query. Of all it checks, only one thing
//! depends on more than the document and the chosen operation: that the
//! values of variables fit the argument positions they are used in. So once
//! a document has passed full validation for an operation (with every
//! variable it uses provided, so the argument checks really ran), later
//! requests with the same text and operation may run on a schema in
//! async-graphql's `Fast` mode (which still counts complexity and depth and
//! enforces their limits) — provided each variable's value clearly fits its
//! position, by the same rules the full validator applies. Anything less
//! clear (a custom scalar, a missing variable, a value of another type, an
//! introspection field, a directive other than `@skip`/`@include`) is
//! validated in full as before, so every validation error a client can get
//! is still the full validator's own.

use async_graphql::parser::types::{
    BaseType, ExecutableDocument, OperationDefinition, Selection, SelectionSet, Type, TypeKind, TypeSystemDefinition,
};
use async_graphql::{Name, Value, Variables};
// Argument values as written in the document (they may hold variables).
use async_graphql_value::Value as Written;
use std::collections::{HashMap, HashSet};

/// A variable used where a value of `ty` is expected.
#[derive(Debug)]
pub struct Usage {
    var: Name,
    ty: Type,
}

struct Field {
    args: HashMap<String, Type>,
    /// The named type the field returns.
    returns: String,
}

struct InputField {
    ty: Type,
    has_default: bool,
}

enum Input {
    Object { fields: HashMap<String, InputField> },
    Enum { values: HashSet<String> },
}

/// What the checks need of the schema, read from its SDL: the fields (and
/// argument types) of output types, input objects and enums, the roots and
/// the directives' arguments.
pub struct Types {
    outputs: HashMap<String, HashMap<String, Field>>,
    inputs: HashMap<String, Input>,
    directives: HashMap<String, HashMap<String, Type>>,
    query: String,
    mutation: String,
    subscription: String,
}

impl Types {
    pub fn from_sdl(sdl: &str) -> anyhow::Result<Self> {
        let doc = async_graphql::parser::parse_schema(sdl)?;
        let mut types = Types {
            outputs: HashMap::new(),
            inputs: HashMap::new(),
            directives: HashMap::new(),
            query: "Query".into(),
            mutation: "Mutation".into(),
            subscription: "Subscription".into(),
        };
        for def in doc.definitions {
            match def {
                TypeSystemDefinition::Schema(s) => {
                    let s = s.node;
                    if let Some(q) = s.query {
                        types.query = q.node.to_string();
                    }
                    if let Some(m) = s.mutation {
                        types.mutation = m.node.to_string();
                    }
                    if let Some(s) = s.subscription {
                        types.subscription = s.node.to_string();
                    }
                }
                TypeSystemDefinition::Type(t) => {
                    let t = t.node;
                    let name = t.name.node.to_string();
                    let fields = match t.kind {
                        TypeKind::Object(o) => o.fields,
                        TypeKind::Interface(i) => i.fields,
                        TypeKind::InputObject(i) => {
                            // A oneOf object has rules of its own: never
                            // known here, so always fully validated.
                            if t.directives.iter().any(|d| d.node.name.node == "oneOf") {
                                continue;
                            }
                            let fields = i
                                .fields
                                .into_iter()
                                .map(|f| {
                                    let f = f.node;
                                    let field = InputField {
                                        ty: f.ty.node,
                                        has_default: f.default_value.is_some(),
                                    };
                                    (f.name.node.to_string(), field)
                                })
                                .collect();
                            types.inputs.insert(name, Input::Object { fields });
                            continue;
                        }
                        TypeKind::Enum(e) => {
                            let values = e.values.into_iter().map(|v| v.node.value.node.to_string()).collect();
                            types.inputs.insert(name, Input::Enum { values });
                            continue;
                        }
                        TypeKind::Scalar | TypeKind::Union(_) => continue,
                    };
                    let fields = fields
                        .into_iter()
                        .map(|f| {
                            let f = f.node;
                            let args = arg_types(f.arguments);
                            let returns = named(&f.ty.node).to_string();
                            (f.name.node.to_string(), Field { args, returns })
                        })
                        .collect();
                    types.outputs.insert(name, fields);
                }
                TypeSystemDefinition::Directive(d) => {
                    let d = d.node;
                    types.directives.insert(d.name.node.to_string(), arg_types(d.arguments));
                }
            }
        }
        Ok(types)
    }

    /// The variable usages of `operation` (by name, as the request named
    /// it) and of every fragment of `doc`, or `None` if some part of the
    /// document is beyond these checks (then it is always fully validated).
    pub fn usages(&self, doc: &ExecutableDocument, operation: Option<&str>) -> Option<Vec<Usage>> {
        let op = select(doc, operation)?;
        let root = match op.ty {
            async_graphql::parser::types::OperationType::Query => &self.query,
            async_graphql::parser::types::OperationType::Mutation => &self.mutation,
            async_graphql::parser::types::OperationType::Subscription => &self.subscription,
        };
        let mut out = Vec::new();
        self.directives(&op.directives, &mut out)?;
        for var in &op.variable_definitions {
            self.directives(&var.node.directives, &mut out)?;
        }
        self.selection_set(&op.selection_set.node, root, &mut out)?;
        for fragment in doc.fragments.values() {
            let fragment = &fragment.node;
            self.directives(&fragment.directives, &mut out)?;
            self.selection_set(
                &fragment.selection_set.node,
                &fragment.type_condition.node.on.node,
                &mut out,
            )?;
        }
        Some(out)
    }

    fn selection_set(&self, set: &SelectionSet, parent: &str, out: &mut Vec<Usage>) -> Option<()> {
        for item in &set.items {
            match &item.node {
                Selection::Field(f) => {
                    let f = &f.node;
                    self.directives(&f.directives, out)?;
                    if f.name.node == "__typename" {
                        if !f.arguments.is_empty() {
                            return None;
                        }
                        continue;
                    }
                    let def = self.outputs.get(parent)?.get(f.name.node.as_str())?;
                    for (name, value) in &f.arguments {
                        let ty = def.args.get(name.node.as_str())?;
                        self.value(&value.node, ty, out)?;
                    }
                    self.selection_set(&f.selection_set.node, &def.returns, out)?;
                }
                // The fragment's own selections are walked once, from the
                // document's fragment definitions.
                Selection::FragmentSpread(s) => self.directives(&s.node.directives, out)?,
                Selection::InlineFragment(i) => {
                    let i = &i.node;
                    self.directives(&i.directives, out)?;
                    let on = i.type_condition.as_ref().map_or(parent, |c| c.node.on.node.as_str());
                    self.selection_set(&i.selection_set.node, on, out)?;
                }
            }
        }
        Some(())
    }

    fn directives(
        &self,
        directives: &[async_graphql::Positioned<async_graphql::parser::types::Directive>],
        out: &mut Vec<Usage>,
    ) -> Option<()> {
        for d in directives {
            let d = &d.node;
            if !matches!(d.name.node.as_str(), "skip" | "include") {
                return None;
            }
            let args = self.directives.get(d.name.node.as_str())?;
            for (name, value) in &d.arguments {
                self.value(&value.node, args.get(name.node.as_str())?, out)?;
            }
        }
        Some(())
    }

    /// The usages inside an argument value expected to be of type `ty`.
    fn value(&self, value: &Written, ty: &Type, out: &mut Vec<Usage>) -> Option<()> {
        match value {
            Written::Variable(var) => out.push(Usage {
                var: var.clone(),
                ty: ty.clone(),
            }),
            Written::List(items) => {
                let BaseType::List(inner) = &ty.base else { return None };
                for item in items {
                    self.value(item, inner, out)?;
                }
            }
            Written::Object(fields) => {
                let Some(Input::Object { fields: defs }) = self.inputs.get(named(ty)) else {
                    return None;
                };
                for (name, v) in fields {
                    self.value(v, &defs.get(name.as_str())?.ty, out)?;
                }
            }
            _ => {}
        }
        Some(())
    }

    /// Every usage's variable is provided.
    pub fn all_provided(usages: &[Usage], vars: &Variables) -> bool {
        usages.iter().all(|u| vars.contains_key(&u.var))
    }

    /// Every usage's variable is provided and its value fits the usage's
    /// type as the full validator would find (`false` when unsure).
    pub fn fit(&self, usages: &[Usage], vars: &Variables) -> bool {
        usages
            .iter()
            .all(|u| vars.get(&u.var).is_some_and(|v| self.fits(v, &u.ty)))
    }

    fn fits(&self, value: &Value, ty: &Type) -> bool {
        if matches!(value, Value::Null) {
            return ty.nullable;
        }
        match &ty.base {
            BaseType::List(inner) => match value {
                Value::List(items) => items.iter().all(|v| self.fits(v, inner)),
                // A single value stands for a list of one.
                v => self.fits(v, inner),
            },
            BaseType::Named(name) => match name.as_str() {
                // The built-in scalars' own `is_valid`.
                "String" => matches!(value, Value::String(_)),
                "Boolean" => matches!(value, Value::Boolean(_)),
                "Float" => matches!(value, Value::Number(_)),
                "Int" => matches!(value, Value::Number(n) if n.is_i64()),
                "ID" => matches!(value, Value::String(_)) || matches!(value, Value::Number(n) if n.is_i64()),
                other => match self.inputs.get(other) {
                    Some(Input::Enum { values }) => match value {
                        Value::String(s) => values.contains(s.as_str()),
                        Value::Enum(e) => values.contains(e.as_str()),
                        _ => false,
                    },
                    Some(Input::Object { fields }) => {
                        let Value::Object(given) = value else { return false };
                        given.keys().all(|k| fields.contains_key(k.as_str()))
                            && fields.iter().all(|(name, f)| match given.get(name.as_str()) {
                                Some(v) => self.fits(v, &f.ty),
                                None => f.ty.nullable || f.has_default,
                            })
                    }
                    // Custom scalars: their checks are not known here.
                    None => false,
                },
            },
        }
    }
}

fn arg_types(
    args: Vec<async_graphql::Positioned<async_graphql::parser::types::InputValueDefinition>>,
) -> HashMap<String, Type> {
    args.into_iter()
        .map(|a| (a.node.name.node.to_string(), a.node.ty.node))
        .collect()
}

fn named(ty: &Type) -> &str {
    match &ty.base {
        BaseType::Named(n) => n.as_str(),
        BaseType::List(inner) => named(inner),
    }
}

/// The operation a request runs, chosen as async-graphql chooses it.
pub(crate) fn select<'d>(doc: &'d ExecutableDocument, name: Option<&str>) -> Option<&'d OperationDefinition> {
    use async_graphql::parser::types::DocumentOperations;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), None) => Some(&op.node),
        (DocumentOperations::Multiple(ops), Some(name)) => ops.get(name).map(|op| &op.node),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| &op.node),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;
    use serde_json::json;

    fn types() -> Types {
        Types::from_sdl(&crate::graphql::sdl()).unwrap()
    }

    fn vars(v: serde_json::Value) -> Variables {
        Variables::from_json(v)
    }

    fn usages(t: &Types, q: &str) -> Option<Vec<Usage>> {
        t.usages(&parse_query(q).unwrap(), None)
    }

    #[test]
    fn variables_are_found_where_they_are_used_with_their_types() {
        let t = types();
        let u = usages(
            &t,
            "mutation($name: String!, $p: [Platform!]!, $skip: Boolean!) {
               createCampaign(input: {name: $name, brief: {product: \"p\", audience: \"a\", goal: \"g\"},
                                      locales: [\"en\"], platforms: $p}) {
                 campaign { id name @skip(if: $skip) }
               }
             }",
        )
        .unwrap();
        let found: Vec<_> = u.iter().map(|u| format!("{}: {}", u.var, u.ty)).collect();
        assert_eq!(found, ["name: String!", "p: [Platform!]!", "skip: Boolean!"]);
        // Fragments are walked too, from their type condition.
        let u = usages(
            &t,
            "query($id: ID!, $first: Int) { campaign(id: $id) { ...F } }
             fragment F on Campaign { angles(first: $first) { totalCount } }",
        )
        .unwrap();
        assert_eq!(u.len(), 2);
    }

    #[test]
    fn what_the_checks_do_not_know_is_always_fully_validated() {
        let t = types();
        assert!(usages(&t, "{ __schema { types { name } } }").is_none());
        assert!(usages(&t, "{ nosuchfield }").is_none());
        assert!(usages(&t, "query($id: ID!) { campaign(id: $id) @deprecated { id } }").is_none());
        assert!(usages(&t, "query($id: ID!) { campaign(nosucharg: $id) { id } }").is_none());
        // Two operations and no name: async-graphql refuses, nothing kept.
        assert!(usages(&t, "query A { viewer { role } } query B { viewer { role } }").is_none());
    }

    #[test]
    fn values_fit_as_the_full_validator_decides() {
        let t = types();
        let check = |q: &str, v: serde_json::Value| t.fit(&usages(&t, q).unwrap(), &vars(v));
        let q = "query($id: ID!) { campaign(id: $id) { id } }";
        assert!(check(q, json!({"id": "abc"})));
        assert!(check(q, json!({"id": 12})));
        assert!(!check(q, json!({"id": null})));
        assert!(!check(q, json!({"id": true})));
        assert!(!check(q, json!({})), "a missing variable is validated in full");
        let q = "mutation($input: CreateCampaignInput!) { createCampaign(input: $input) { campaign { id } } }";
        let good = json!({"input": {"name": "n", "brief": {"product": "p", "audience": "a", "goal": "g"},
                                     "locales": ["en"], "platforms": ["X"]}});
        assert!(check(q, good.clone()));
        let mut bad = good.clone();
        bad["input"]["platforms"] = json!(["MYSPACE"]);
        assert!(!check(q, bad), "an enum value not in the enum");
        let mut bad = good.clone();
        bad["input"]["surprise"] = json!(1);
        assert!(!check(q, bad), "an unknown input field");
        let mut bad = good.clone();
        bad["input"].as_object_mut().unwrap().remove("name");
        assert!(!check(q, bad), "a required input field left out");
        let mut bad = good.clone();
        bad["input"]["locales"] = json!([1]);
        assert!(!check(q, bad), "a list item of another type");
        let mut single = good;
        single["input"]["platforms"] = json!("X");
        assert!(check(q, single), "one value stands for a list of one");
        let q = "query($n: Int) { campaigns(first: $n) { totalCount } }";
        assert!(check(q, json!({"n": 5})));
        assert!(check(q, json!({"n": null})));
        assert!(!check(q, json!({"n": 1.5})));
        assert!(!check(q, json!({"n": "5"})));
    }
}
