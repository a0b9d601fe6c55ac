// The package's one import of the C library (swift-argument-parser's
// Utilities/Platform.swift is the model): no other file writes
// `#if canImport(Glibc)`.
//
// `@_exported` makes the C library visible in every file of SpendBase and
// of every module that imports SpendBase (SpendFormats, SpendPricing,
// SpendGit, SpendCore, whose Exports.swift passes it on to SpendCLI and
// the tests): `open`, `mmap`, `flock`, `memchr`, `errno` … are called as
// they are, with no wrapper in the hot loops and no per-file import.
#if canImport(Glibc)
    @_exported import Glibc
#elseif canImport(Musl)
    @_exported import Musl
#elseif canImport(Darwin)
    @_exported import Darwin
#endif
