//! The Java classes the library builds or reads, bound once (class and method ids cached by
//! `bind_java_type`).

use jni::bind_java_type;
bind_java_type! {
    pub JavaLong => java.lang.Long,
    methods {
        fn long_value() -> jlong,
        static fn value_of(value: jlong) -> JavaLong,
    },
}

bind_java_type! {
    pub JavaNumber => java.lang.Number,
    methods {
        fn long_value() -> jlong,
        fn double_value() -> jdouble,
    },
}

bind_java_type! {
    pub JavaDouble => java.lang.Double,
    methods {
        static fn value_of(value: jdouble) -> JavaDouble,
    },
}

bind_java_type! {
    pub JavaFloat => java.lang.Float,
}

bind_java_type! {
    pub JavaBoolean => java.lang.Boolean,
    methods {
        fn boolean_value() -> jboolean,
    },
}

bind_java_type! {
    pub NativeResult => ha.jdbc.core.Result,
    constructors {
        fn new(
            columns: JString[],
            declared_types: JString[],
            cells: JObject[],
            rows_affected: jlong,
            last_insert_id: jlong,
            seq: jlong
        ),
    },
}

bind_java_type! {
    pub NativeException => ha.jdbc.core.NativeException,
    is_instance_of = { JThrowable },
    constructors {
        fn new(
            message: JString,
            code: JString,
            sql_state: JString,
            vendor_code: jint,
            statement_index: jint
        ),
    },
}
