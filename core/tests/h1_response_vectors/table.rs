//! The table's vocabulary: what a vector expects (heads, data, trailers,
//! the end, an error, the bytes left unread), and the check of one vector
//! whole, byte by byte and split at every offset.

use super::*;

/// HTTP/1.1, persistent: confirms the server can pipeline.
pub(crate) const KEEP: ConnectionSignals = ConnectionSignals {
    persistent: true,
    confirms_pipelining: true,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};
/// HTTP/1.0 with keep-alive: persistent, but never pipelined to.
pub(crate) const KEEP_10: ConnectionSignals = ConnectionSignals {
    persistent: true,
    confirms_pipelining: false,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};
/// The connection ends after this response.
pub(crate) const CLOSE: ConnectionSignals = ConnectionSignals {
    persistent: false,
    confirms_pipelining: false,
    keep_alive_max: None,
    keep_alive_timeout_secs: None,
};

/// What a head must look like. Status, version, framing and connection
/// signals are always checked for final heads; the reason and fields only
/// when named.
#[derive(Clone, Debug)]
pub(crate) struct HeadExp {
    pub(crate) interim: bool,
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: Option<&'static [u8]>,
    pub(crate) framing: Option<Framing>,
    pub(crate) connection: Option<ConnectionSignals>,
    pub(crate) fields: Vec<(&'static str, &'static [u8])>,
    pub(crate) absent: Vec<&'static str>,
}

/// One expected item.
#[derive(Clone, Debug)]
pub(crate) enum Exp {
    Head(HeadExp),
    /// All content of one response, transfer coding removed, concatenated.
    Data(&'static [u8]),
    Trailers(Vec<(&'static str, &'static [u8])>),
    End,
}

pub(crate) use Exp::{Data, End};

pub(crate) fn final_head(version: Version, status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    Exp::Head(HeadExp {
        interim: false,
        version,
        status,
        reason: None,
        framing: Some(framing),
        connection: Some(connection),
        fields: Vec::new(),
        absent: Vec::new(),
    })
}

/// An HTTP/1.1 final head.
pub(crate) fn head(status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    final_head(Version::Http11, status, framing, connection)
}

/// An HTTP/1.0 final head.
pub(crate) fn head10(status: u16, framing: Framing, connection: ConnectionSignals) -> Exp {
    final_head(Version::Http10, status, framing, connection)
}

/// An HTTP/1.1 interim (1xx) head.
pub(crate) fn interim(status: u16) -> Exp {
    Exp::Head(HeadExp {
        interim: true,
        version: Version::Http11,
        status,
        reason: None,
        framing: None,
        connection: None,
        fields: Vec::new(),
        absent: Vec::new(),
    })
}

pub(crate) fn trailers(fields: &[(&'static str, &'static [u8])]) -> Exp {
    Exp::Trailers(fields.to_vec())
}

impl Exp {
    pub(crate) fn head_mut(&mut self) -> &mut HeadExp {
        match self {
            Exp::Head(h) => h,
            other => panic!("not a head: {other:?}"),
        }
    }

    /// The reason phrase must be exactly `reason`.
    pub(crate) fn reason(mut self, reason: &'static [u8]) -> Exp {
        self.head_mut().reason = Some(reason);
        self
    }

    /// The first field called `name` must have exactly `value`.
    pub(crate) fn field(mut self, name: &'static str, value: &'static [u8]) -> Exp {
        self.head_mut().fields.push((name, value));
        self
    }

    /// No field may be called `name`.
    pub(crate) fn no_field(mut self, name: &'static str) -> Exp {
        self.head_mut().absent.push(name);
        self
    }

    /// `Keep-Alive: max` and `timeout` as parsed.
    pub(crate) fn keep_alive(mut self, max: Option<u64>, timeout_secs: Option<u64>) -> Exp {
        let connection = self.head_mut().connection.as_mut().expect("a final head");
        connection.keep_alive_max = max;
        connection.keep_alive_timeout_secs = timeout_secs;
        self
    }
}

/// One response vector.
pub(crate) struct Vector {
    pub(crate) name: &'static str,
    pub(crate) input: Vec<u8>,
    /// The methods of the requests being answered, oldest first.
    pub(crate) methods: Vec<Method>,
    /// The peer closes the connection after the input.
    pub(crate) eof: bool,
    pub(crate) limits: Limits,
    pub(crate) items: Vec<Exp>,
    pub(crate) error: Option<DecodeError>,
    /// What stays in the buffer after the last response (when no error).
    pub(crate) unread: &'static [u8],
}

/// A vector answering one GET, with default limits and no EOF.
pub(crate) fn v(name: &'static str, input: impl AsRef<[u8]>) -> Vector {
    Vector {
        name,
        input: input.as_ref().to_vec(),
        methods: vec![Method::GET],
        eof: false,
        limits: Limits::default(),
        items: Vec::new(),
        error: None,
        unread: b"",
    }
}

impl Vector {
    pub(crate) fn to(mut self, method: Method) -> Vector {
        self.methods = vec![method];
        self
    }

    pub(crate) fn methods(mut self, methods: &[Method]) -> Vector {
        self.methods = methods.to_vec();
        self
    }

    pub(crate) fn eof(mut self) -> Vector {
        self.eof = true;
        self
    }

    pub(crate) fn limits(mut self, set: impl FnOnce(&mut Limits)) -> Vector {
        set(&mut self.limits);
        self
    }

    pub(crate) fn gives(mut self, items: impl IntoIterator<Item = Exp>) -> Vector {
        self.items = items.into_iter().collect();
        self
    }

    pub(crate) fn fails(mut self, error: DecodeError) -> Vector {
        self.error = Some(error);
        self
    }

    pub(crate) fn unread(mut self, unread: &'static [u8]) -> Vector {
        self.unread = unread;
        self
    }
}

pub(crate) fn show(bytes: &[u8]) -> String {
    bytes.escape_ascii().to_string()
}

pub(crate) fn check_head(exp: &HeadExp, interim: bool, head: &ResponseHead) -> Result<(), String> {
    if exp.interim != interim {
        return Err(format!("expected interim={}, got interim={interim}", exp.interim));
    }
    if (exp.version, exp.status) != (head.version, head.status) {
        return Err(format!("expected {:?} {}, got {:?} {}", exp.version, exp.status, head.version, head.status));
    }
    if let Some(reason) = exp.reason {
        if head.reason != reason {
            return Err(format!("expected reason {:?}, got {:?}", show(reason), show(&head.reason)));
        }
    }
    if let Some(framing) = exp.framing {
        if head.framing != framing {
            return Err(format!("expected framing {framing:?}, got {:?}", head.framing));
        }
    }
    if let Some(connection) = exp.connection {
        if head.connection != connection {
            return Err(format!("expected {connection:?}, got {:?}", head.connection));
        }
    }
    for (name, value) in &exp.fields {
        match head.header(name) {
            Some(got) if got == *value => {}
            got => return Err(format!("expected field {name}: {:?}, got {:?}", show(value), got.map(show))),
        }
    }
    for name in &exp.absent {
        if head.header(name).is_some() {
            return Err(format!("field {name} should not be in the head"));
        }
    }
    Ok(())
}

pub(crate) fn check_item(exp: &Exp, got: &ResponsePart) -> Result<(), String> {
    match (exp, got) {
        (Exp::Head(h), ResponsePart::Head(head)) => check_head(h, false, head),
        (Exp::Head(h), ResponsePart::Interim(head)) => check_head(h, true, head),
        (Exp::Data(want), ResponsePart::Data(data)) if data == want => Ok(()),
        (Exp::Trailers(want), ResponsePart::Trailers(fields)) => {
            let got: Vec<(&[u8], &[u8])> = fields.iter().map(|f| (&f.name[..], &f.value[..])).collect();
            let want: Vec<(&[u8], &[u8])> = want.iter().map(|(n, v)| (n.as_bytes(), *v)).collect();
            if got == want { Ok(()) } else { Err(format!("expected trailers {want:?}, got {got:?}")) }
        }
        (Exp::End, ResponsePart::End) => Ok(()),
        _ => Err(format!("expected {exp:?}, got {got:?}")),
    }
}

/// Runs one vector every way and compares it with its expectations.
pub(crate) fn check_vector(v: &Vector) -> Result<(), String> {
    let out = support::decode_responses(v.name, &v.input, &v.methods, v.eof, v.limits);
    for (i, (exp, got)) in v.items.iter().zip(&out.items).enumerate() {
        check_item(exp, got).map_err(|e| format!("item {i}: {e}"))?;
    }
    if v.items.len() != out.items.len() {
        return Err(format!("expected {} items, got {}: {:?}", v.items.len(), out.items.len(), out.items));
    }
    if out.error != v.error {
        return Err(format!("expected error {:?}, got {:?}", v.error, out.error));
    }
    if let Some(after) = &out.after_error {
        if *after != Err(DecodeError::Dead) {
            return Err(format!("after the error the decoder answered {after:?}, not Dead"));
        }
    }
    if out.unread != v.unread {
        return Err(format!("expected unread {:?}, got {:?}", show(v.unread), show(&out.unread)));
    }
    Ok(())
}

pub(crate) fn check(vectors: &[Vector]) {
    let failures: Vec<String> =
        vectors.iter().filter_map(|v| check_vector(v).err().map(|e| format!("{}: {e}", v.name))).collect();
    assert!(failures.is_empty(), "{} of {} vectors failed:\n{}", failures.len(), vectors.len(), failures.join("\n"));
}
