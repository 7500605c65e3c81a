//! Flattens a serde row struct (e.g. `RequestRow`) into CSV header names and
//! cells, so every CSV file formats numbers the same way: floats with Rust's
//! shortest round-trip `{}` (the csv crate's own serializer uses ryu, which
//! writes `3.0` and `1e-7` where the other files write `3` and `0.0000001`).

use serde::Serialize;
use serde::ser::{self, Impossible, SerializeStruct};
use std::fmt;

/// One row: field names in declaration order and their formatted values.
#[derive(Debug, Default, PartialEq)]
pub struct FlatRow {
    pub names: Vec<&'static str>,
    pub cells: Vec<String>,
}

/// `row` must serialize as a struct of scalar (or optional scalar) fields.
pub fn flatten<T: Serialize>(row: &T) -> Result<FlatRow, FlatError> {
    row.serialize(RowSerializer)
}

/// Formats one float the way every CSV file of a run does.
pub fn float_cell(x: f64) -> String {
    format!("{x}")
}

#[derive(Debug)]
pub struct FlatError(String);

impl fmt::Display for FlatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write a CSV row: {}", self.0)
    }
}

impl std::error::Error for FlatError {}

impl ser::Error for FlatError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        FlatError(msg.to_string())
    }
}

fn unsupported<T>(what: &str) -> Result<T, FlatError> {
    Err(FlatError(format!("{what} is not a flat CSV value")))
}

/// Accepts only a struct at the top level.
struct RowSerializer;

/// Serializes one field into its cell text.
struct CellSerializer;

impl SerializeStruct for FlatRow {
    type Ok = FlatRow;
    type Error = FlatError;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), FlatError> {
        self.names.push(key);
        self.cells.push(value.serialize(CellSerializer)?);
        Ok(())
    }

    fn end(self) -> Result<FlatRow, FlatError> {
        Ok(self)
    }
}

/// Generates the scalar methods a serializer rejects.
macro_rules! reject {
    ($($method:ident($($arg:ty),*) -> $what:literal;)*) => {
        $(fn $method(self, $(_: $arg),*) -> Result<Self::Ok, FlatError> { unsupported($what) })*
    };
}

impl ser::Serializer for RowSerializer {
    type Ok = FlatRow;
    type Error = FlatError;
    type SerializeSeq = Impossible<FlatRow, FlatError>;
    type SerializeTuple = Impossible<FlatRow, FlatError>;
    type SerializeTupleStruct = Impossible<FlatRow, FlatError>;
    type SerializeTupleVariant = Impossible<FlatRow, FlatError>;
    type SerializeMap = Impossible<FlatRow, FlatError>;
    type SerializeStruct = FlatRow;
    type SerializeStructVariant = Impossible<FlatRow, FlatError>;

    fn serialize_struct(self, _: &'static str, len: usize) -> Result<FlatRow, FlatError> {
        Ok(FlatRow {
            names: Vec::with_capacity(len),
            cells: Vec::with_capacity(len),
        })
    }

    reject! {
        serialize_bool(bool) -> "a bare bool";
        serialize_i8(i8) -> "a bare integer";
        serialize_i16(i16) -> "a bare integer";
        serialize_i32(i32) -> "a bare integer";
        serialize_i64(i64) -> "a bare integer";
        serialize_u8(u8) -> "a bare integer";
        serialize_u16(u16) -> "a bare integer";
        serialize_u32(u32) -> "a bare integer";
        serialize_u64(u64) -> "a bare integer";
        serialize_f32(f32) -> "a bare float";
        serialize_f64(f64) -> "a bare float";
        serialize_char(char) -> "a bare char";
        serialize_str(&str) -> "a bare string";
        serialize_bytes(&[u8]) -> "bytes";
        serialize_none() -> "a bare option";
        serialize_unit() -> "a bare unit";
        serialize_unit_struct(&'static str) -> "a unit struct";
        serialize_unit_variant(&'static str, u32, &'static str) -> "a bare enum";
    }

    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<FlatRow, FlatError> {
        unsupported("a bare option")
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<FlatRow, FlatError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<FlatRow, FlatError> {
        unsupported("an enum")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlatError> {
        unsupported("a sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, FlatError> {
        unsupported("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, FlatError> {
        unsupported("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        unsupported("an enum")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        unsupported("a map")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        unsupported("an enum")
    }
}

impl ser::Serializer for CellSerializer {
    type Ok = String;
    type Error = FlatError;
    type SerializeSeq = Impossible<String, FlatError>;
    type SerializeTuple = Impossible<String, FlatError>;
    type SerializeTupleStruct = Impossible<String, FlatError>;
    type SerializeTupleVariant = Impossible<String, FlatError>;
    type SerializeMap = Impossible<String, FlatError>;
    type SerializeStruct = Impossible<String, FlatError>;
    type SerializeStructVariant = Impossible<String, FlatError>;

    fn serialize_bool(self, v: bool) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i8(self, v: i8) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i16(self, v: i16) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i32(self, v: i32) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_i64(self, v: i64) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u16(self, v: u16) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u32(self, v: u32) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_u64(self, v: u64) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_f32(self, v: f32) -> Result<String, FlatError> {
        Ok(float_cell(f64::from(v)))
    }
    fn serialize_f64(self, v: f64) -> Result<String, FlatError> {
        Ok(float_cell(v))
    }
    fn serialize_char(self, v: char) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_str(self, v: &str) -> Result<String, FlatError> {
        Ok(v.to_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<String, FlatError> {
        unsupported("bytes")
    }
    fn serialize_none(self) -> Result<String, FlatError> {
        Ok(String::new())
    }
    fn serialize_some<T: Serialize + ?Sized>(self, v: &T) -> Result<String, FlatError> {
        v.serialize(self)
    }
    fn serialize_unit(self) -> Result<String, FlatError> {
        Ok(String::new())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<String, FlatError> {
        Ok(String::new())
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<String, FlatError> {
        Ok(variant.to_string())
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        v: &T,
    ) -> Result<String, FlatError> {
        v.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<String, FlatError> {
        unsupported("an enum with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, FlatError> {
        unsupported("a sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, FlatError> {
        unsupported("a tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, FlatError> {
        unsupported("a tuple struct")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, FlatError> {
        unsupported("an enum with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, FlatError> {
        unsupported("a map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, FlatError> {
        unsupported("a nested struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, FlatError> {
        unsupported("an enum with data")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "snake_case")]
    enum Status {
        Ok,
    }

    #[derive(Serialize)]
    struct Row<'a> {
        name: &'a str,
        count: u64,
        whole: f64,
        tiny: f64,
        missing: Option<f64>,
        status: Status,
    }

    #[test]
    fn fields_in_order_with_display_floats() {
        let row = Row {
            name: "a,b",
            count: 7,
            whole: 3.0,
            tiny: 1e-7,
            missing: None,
            status: Status::Ok,
        };
        let flat = flatten(&row).unwrap();
        assert_eq!(
            flat.names,
            ["name", "count", "whole", "tiny", "missing", "status"]
        );
        assert_eq!(flat.cells, ["a,b", "7", "3", "0.0000001", "", "ok"]);
    }

    #[test]
    fn nested_values_are_refused() {
        #[derive(Serialize)]
        struct Nested {
            xs: Vec<u8>,
        }
        let err = flatten(&Nested { xs: vec![1] }).unwrap_err();
        assert!(err.to_string().contains("a sequence"), "{err}");
        assert!(flatten(&5u8).is_err());
    }
}
