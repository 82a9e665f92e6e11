//! What every request of a run carries, from `-H`, `-X`, `-d` and `-u`
//! (docs/DESIGN.md C1): parsed, read and checked before anything is sent,
//! so that bad input is a usage error and no request at all.

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderName, HeaderValue};
use std::path::PathBuf;

/// One `-H 'Name: value'` field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct HeaderFlag {
    name: HeaderName,
    value: HeaderValue,
}

/// Parses `-H`: a field name (a token, RFC 9110 §5.1), a colon, and a
/// value whose surrounding spaces and tabs are dropped (RFC 9110 §5.5); a
/// name or value that cannot be sent is a usage error.
pub(crate) fn parse_header(field: &str) -> Result<HeaderFlag, String> {
    let Some((name, value)) = field.split_once(':') else {
        return Err("expected `Name: value`".to_owned());
    };
    let name = HeaderName::from_bytes(name.as_bytes())
        .map_err(|_| format!("{name:?} is not a header name (letters, digits and !#$%&'*+-.^_`|~ only)"))?;
    let value = HeaderValue::from_str(value.trim_matches([' ', '\t']))
        .map_err(|_| format!("the value of {name} has a control character"))?;
    Ok(HeaderFlag { name, value })
}

/// Parses `-X`: a method is a token (RFC 9110 §9.1).
pub(crate) fn parse_method(method: &str) -> Result<http::Method, String> {
    http::Method::from_bytes(method.as_bytes()).map_err(|_| format!("{method:?} is not a method"))
}

/// Where `-d`'s body comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Data {
    /// The argument itself.
    Inline(String),
    /// `@FILE`: the file's bytes.
    File(PathBuf),
    /// `@-`: standard input.
    Stdin,
}

/// Parses `-d`: `@FILE` reads a file, `@-` standard input, anything else
/// is the body itself.
pub(crate) fn parse_data(data: &str) -> Result<Data, String> {
    match data.strip_prefix('@') {
        None => Ok(Data::Inline(data.to_owned())),
        Some("-") => Ok(Data::Stdin),
        Some("") => Err("@ needs a file name (@FILE, or @- for stdin)".to_owned()),
        Some(path) => Ok(Data::File(PathBuf::from(path))),
    }
}

impl Data {
    /// The body's bytes, exactly as given or as stored (nothing stripped,
    /// as curl's `--data-binary`); an unreadable file is a usage error.
    pub(crate) fn read(&self, stdin: impl FnOnce() -> std::io::Result<Vec<u8>>) -> Result<Bytes, String> {
        match self {
            Data::Inline(text) => Ok(Bytes::copy_from_slice(text.as_bytes())),
            Data::File(path) => {
                std::fs::read(path).map(Bytes::from).map_err(|e| format!("cannot read -d @{}: {e}", path.display()))
            }
            Data::Stdin => stdin().map(Bytes::from).map_err(|e| format!("cannot read -d @-: {e}")),
        }
    }
}

/// The form type curl's `-d` declares unless a `-H` gives another.
const FORM: &str = "application/x-www-form-urlencoded";

/// What every request carries.
#[derive(Clone, Debug)]
pub(crate) struct RequestTemplate {
    /// `-X`; a line's own method wins over it.
    method: Option<http::Method>,
    /// `-H`'s fields in order, then `Authorization` from `-u` and the form
    /// `Content-Type` of `-d` where no `-H` named them.
    headers: HeaderMap,
    /// `-d`'s bytes.
    body: Option<Bytes>,
}

impl RequestTemplate {
    /// The template of `-H`, `-X`, `-d` (already read) and `-u`, checked as
    /// the client will check each request: a field the codec sets itself
    /// (`Transfer-Encoding`), a `Content-Length` other than the body's, two
    /// `Host` fields, are usage errors.
    pub(crate) fn new(
        fields: &[HeaderFlag],
        method: Option<http::Method>,
        body: Option<Bytes>,
        user: Option<HeaderValue>,
    ) -> Result<Self, String> {
        let mut headers = HeaderMap::with_capacity(fields.len() + 2);
        for field in fields {
            headers.append(field.name.clone(), field.value.clone());
        }
        // A `-H` of the same name wins, as in curl.
        if let Some(credentials) = user {
            headers.entry(AUTHORIZATION).or_insert(credentials);
        }
        if body.is_some() {
            headers.entry(CONTENT_TYPE).or_insert(HeaderValue::from_static(FORM));
        }
        let template = RequestTemplate { method, headers, body };
        template.check()?;
        Ok(template)
    }

    /// The template without `-X`, `-d` or `-u`: `bench`'s, whose requests
    /// are all GETs.
    pub(crate) fn headers_only(fields: &[HeaderFlag]) -> Result<Self, String> {
        Self::new(fields, None, None, None)
    }

    /// The method of a request whose line names none: `-X`, else POST
    /// with `-d` (as curl), else GET.
    pub(crate) fn default_method(&self) -> http::Method {
        match (&self.method, &self.body) {
            (Some(method), _) => method.clone(),
            (None, Some(_)) => http::Method::POST,
            (None, None) => http::Method::GET,
        }
    }

    /// The fields every request gets.
    pub(crate) fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// A request for `method` and `uri` with the template's fields and
    /// body (an empty body without `-d`).
    pub(crate) fn request(
        &self,
        method: http::Method,
        uri: http::Uri,
    ) -> Result<http::Request<http_body_util::Full<Bytes>>, http::Error> {
        let body = http_body_util::Full::new(self.body.clone().unwrap_or_default());
        let mut request = http::Request::builder().method(method).uri(uri).body(body)?;
        if !self.headers.is_empty() {
            *request.headers_mut() = self.headers.clone();
        }
        Ok(request)
    }

    /// The core's own check of a request with these fields and this body
    /// (method and target are checked line by line).
    fn check(&self) -> Result<(), String> {
        use pipelining::h1::{Content, Header, Method, Request, validate_request};
        let mut probe = Request::new(Method::GET, Bytes::from_static(b"/"));
        for (name, value) in &self.headers {
            probe.headers.push(Header::new(
                Bytes::copy_from_slice(name.as_str().as_bytes()),
                Bytes::copy_from_slice(value.as_bytes()),
            ));
        }
        if let Some(body) = &self.body {
            probe.body = Content::Full(body.clone());
        }
        validate_request(&probe).map_err(|e| format!("cannot send these headers: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields(list: &[&str]) -> Vec<HeaderFlag> {
        list.iter().map(|f| parse_header(f).unwrap()).collect()
    }

    fn pairs(template: &RequestTemplate) -> Vec<(String, String)> {
        template.headers.iter().map(|(n, v)| (n.to_string(), v.to_str().unwrap().to_owned())).collect()
    }

    #[test]
    fn header_flags_take_a_token_a_colon_and_a_trimmed_value() {
        let field = parse_header("X-Trace:  a b\t").unwrap();
        assert_eq!((field.name.as_str(), field.value.as_bytes()), ("x-trace", &b"a b"[..]));
        assert_eq!(parse_header("Empty:").unwrap().value, "");
        assert_eq!(parse_header("Colons: a:b").unwrap().value, "a:b");
        for (bad, says) in [
            ("NoColon", "Name: value"),
            (": value", "not a header name"),
            ("Two Words: v", "not a header name"),
            ("Bad@Name: v", "not a header name"),
            ("X: a\r\nInjected: b", "control character"),
            ("X: nul\0", "control character"),
        ] {
            let err = parse_header(bad).unwrap_err();
            assert!(err.contains(says), "{bad:?}: {err}");
        }
    }

    #[test]
    fn methods_are_tokens() {
        assert_eq!(parse_method("PATCH").unwrap(), http::Method::PATCH);
        assert_eq!(parse_method("PURGE").unwrap().as_str(), "PURGE");
        for bad in ["", "G T", "G@T"] {
            assert!(parse_method(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn data_is_inline_a_file_or_stdin() {
        assert_eq!(parse_data("a=1&b=2").unwrap(), Data::Inline("a=1&b=2".into()));
        assert_eq!(parse_data("").unwrap(), Data::Inline(String::new()));
        assert_eq!(parse_data("@body.json").unwrap(), Data::File("body.json".into()));
        assert_eq!(parse_data("@-").unwrap(), Data::Stdin);
        assert!(parse_data("@").is_err());
        let no_stdin = || -> std::io::Result<Vec<u8>> { panic!("stdin read for inline data") };
        assert_eq!(Data::Inline("x\ny\n".into()).read(no_stdin).unwrap(), "x\ny\n", "nothing stripped");
        assert_eq!(Data::Stdin.read(|| Ok(b"from stdin".to_vec())).unwrap(), "from stdin");
        let err = Data::File("/nonexistent/body".into()).read(no_stdin).unwrap_err();
        assert!(err.contains("cannot read -d @/nonexistent/body"), "{err}");
    }

    #[test]
    fn the_method_is_x_then_post_with_data_then_get() {
        let get = RequestTemplate::new(&[], None, None, None).unwrap();
        assert_eq!(get.default_method(), http::Method::GET);
        assert!(get.headers().is_empty());
        let post = RequestTemplate::new(&[], None, Some(Bytes::from_static(b"x")), None).unwrap();
        assert_eq!(post.default_method(), http::Method::POST);
        let put = RequestTemplate::new(&[], Some(http::Method::PUT), Some(Bytes::new()), None).unwrap();
        assert_eq!(put.default_method(), http::Method::PUT);
        assert_eq!(put.headers()["content-type"], FORM, "-d declares the form type");
    }

    #[test]
    fn user_and_form_type_yield_to_the_header_flags() {
        let user = crate::basic_auth::parse_user("u:p").unwrap();
        let body = Some(Bytes::from_static(b"a=1"));
        let template =
            RequestTemplate::new(&fields(&["X-A: 1", "x-a: 2"]), None, body.clone(), Some(user.clone())).unwrap();
        assert_eq!(
            pairs(&template),
            [
                ("x-a".into(), "1".into()),
                ("x-a".into(), "2".into()),
                ("authorization".into(), "Basic dTpw".into()),
                ("content-type".into(), FORM.into())
            ]
        );
        let own = fields(&["Authorization: Bearer t", "Content-Type: application/json"]);
        let template = RequestTemplate::new(&own, None, body, Some(user)).unwrap();
        assert_eq!(
            pairs(&template),
            [("authorization".into(), "Bearer t".into()), ("content-type".into(), "application/json".into())]
        );
    }

    #[test]
    fn fields_the_client_would_refuse_are_refused_up_front() {
        let body = || Some(Bytes::from_static(b"abc"));
        for (list, body, says) in [
            (&["Transfer-Encoding: chunked"][..], None, "Transfer-Encoding"),
            (&["Content-Length: 4"][..], body(), "Content-Length"),
            (&["Content-Length: 1"][..], None, "Content-Length"),
            (&["Host: a", "Host: b"][..], None, "Host"),
        ] {
            let err = RequestTemplate::new(&fields(list), None, body, None).unwrap_err();
            assert!(err.contains(says), "{list:?}: {err}");
        }
        // A Content-Length that matches, and one Host, are fine.
        RequestTemplate::new(&fields(&["Content-Length: 3", "Host: other"]), None, body(), None).unwrap();
    }

    #[test]
    fn requests_carry_the_fields_and_the_body() {
        use http_body_util::BodyExt;
        let template =
            RequestTemplate::new(&fields(&["X-A: 1"]), None, Some(Bytes::from_static(b"data")), None).unwrap();
        let request = template.request(http::Method::PUT, "http://h/p".parse().unwrap()).unwrap();
        assert_eq!(request.method(), http::Method::PUT);
        assert_eq!(request.headers()["x-a"], "1");
        let body = futures_util::FutureExt::now_or_never(request.into_body().collect()).unwrap().unwrap();
        assert_eq!(body.to_bytes(), "data");
    }
}
