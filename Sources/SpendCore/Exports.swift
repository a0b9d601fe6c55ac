// The `SpendCore` library product is the whole library: importing SpendCore
// gives the public API of the layers below it too (and, through SpendBase's
// Platform.swift, the C library), so SpendCLI, the tests and the fuzz
// harnesses keep one `import SpendCore`. It also makes these modules
// visible in every file of SpendCore.
//
// The layers (each may import only those before it; see README "Layout"):
// SpendBase → SpendFormats → SpendPricing, SpendGit → SpendCore.
@_exported import SpendBase
@_exported import SpendFormats
@_exported import SpendGit
@_exported import SpendPricing
