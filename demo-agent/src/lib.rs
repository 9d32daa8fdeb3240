//! guid-demo-agent, a synthetic qube (the binary, `src/bin/guid-demo-agent/`), and the pictures
//! it paints ([`pattern`]), which tests use to know what every pixel of its windows must be.

pub mod pattern;
