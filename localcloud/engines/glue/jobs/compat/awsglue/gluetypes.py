"""DynamicFrame schema types, as ``DynamicFrame.schema()`` returns them (AWS's ``awsglue.gluetypes`` names)."""

from __future__ import annotations


class DataType:
    def __init__(self, properties=None):
        self.properties = dict(properties or {})

    @classmethod
    def typeName(cls):
        return cls.__name__[:-4].lower()

    def __eq__(self, other):
        return type(self) is type(other) and self.__dict__ == other.__dict__

    def __repr__(self):
        return f"{type(self).__name__}({{}})"


class AtomicType(DataType):
    pass


class BinaryType(AtomicType):
    pass


class BooleanType(AtomicType):
    pass


class ByteType(AtomicType):
    pass


class DateType(AtomicType):
    pass


class DoubleType(AtomicType):
    pass


class FloatType(AtomicType):
    pass


class IntegerType(AtomicType):
    @classmethod
    def typeName(cls):
        return "int"


class LongType(AtomicType):
    pass


class NullType(AtomicType):
    pass


class ShortType(AtomicType):
    pass


class StringType(AtomicType):
    pass


class TimestampType(AtomicType):
    pass


class DecimalType(AtomicType):
    def __init__(self, precision=10, scale=2, properties=None):
        super().__init__(properties)
        self.precision, self.scale = precision, scale

    def __repr__(self):
        return f"DecimalType({self.precision}, {self.scale}, {{}})"


class ArrayType(DataType):
    def __init__(self, elementType=None, properties=None):
        super().__init__(properties)
        self.elementType = elementType

    def __repr__(self):
        return f"ArrayType({self.elementType!r}, {{}})"


class ChoiceType(DataType):
    def __init__(self, choices=(), properties=None):
        super().__init__(properties)
        self.choices = {c.typeName(): c for c in choices}

    def __repr__(self):
        return f"ChoiceType([{', '.join(repr(c) for c in self.choices.values())}], {{}})"


class Field:
    def __init__(self, name, dataType, properties=None):
        self.name, self.dataType, self.properties = name, dataType, dict(properties or {})

    def __eq__(self, other):
        return isinstance(other, Field) and (self.name, self.dataType) == (other.name, other.dataType)

    def __repr__(self):
        return f"Field({self.name}, {self.dataType!r}, {{}})"


class StructType(DataType):
    def __init__(self, fields=(), properties=None):
        super().__init__(properties)
        self.fields = list(fields)
        self.field_map = {f.name: f for f in self.fields}

    def getField(self, name):
        return self.field_map[name]

    def hasField(self, name):
        return name in self.field_map

    def __iter__(self):
        return iter(self.fields)

    def __repr__(self):
        return f"StructType([{', '.join(repr(f) for f in self.fields)}], {{}})"


_ATOMIC = {
    "binary": BinaryType,
    "boolean": BooleanType,
    "byte": ByteType,
    "date": DateType,
    "double": DoubleType,
    "float": FloatType,
    "int": IntegerType,
    "long": LongType,
    "null": NullType,
    "short": ShortType,
    "string": StringType,
    "timestamp": TimestampType,
}


def from_tree(t):
    """The gluetypes form of a localcloud schema tree (``_local.schema.T``)."""
    if t.kind == "struct":
        return StructType([Field(k, from_tree(v)) for k, v in t.fields.items()])
    if t.kind == "choice":
        return ChoiceType([from_tree(v) for v in t.fields.values()])
    if t.kind == "array":
        return ArrayType(from_tree(t.elem))
    if t.kind.startswith("decimal"):
        p, s = t.kind[len("decimal(") : -1].split(",")
        return DecimalType(int(p), int(s))
    return _ATOMIC[t.kind]()
