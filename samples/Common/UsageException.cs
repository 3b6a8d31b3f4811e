namespace Samples.Common;

/// <summary>A command line the sample cannot run with; <see cref="SampleRunner"/> prints its message as one line and exits with 2.</summary>
public sealed class UsageException(string message) : Exception(message);
