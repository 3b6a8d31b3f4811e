using Xunit;

// TorchSharp's random generator, thread count and grad mode are process-wide: tests that seed it must not interleave.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
