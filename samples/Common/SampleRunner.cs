namespace Samples.Common;

/// <summary>
/// Runs a sample's body and turns the errors a user can cause (bad arguments, missing files or columns, bad data) into
/// one line on standard error and a non-zero exit code, instead of a stack trace.
/// </summary>
public static class SampleRunner
{
    /// <summary>Exit code for a bad command line.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code for any other failure.</summary>
    public const int Failure = 1;

    /// <summary>Runs <paramref name="body"/> and returns its exit code, or <see cref="UsageError"/> / <see cref="Failure"/>.</summary>
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (UsageException e)
        {
            Console.Error.WriteLine($"error: {OneLine(e.Message)}");
            return UsageError;
        }
        catch (Exception e) when (UserError(e) is { } cause)
        {
            Console.Error.WriteLine($"error: {OneLine(cause.Message)}");
            return Failure;
        }
    }

    // ML.NET wraps some exceptions (e.g. in TargetInvocationException); the innermost of a user-facing kind says what is wrong.
    private static Exception? UserError(Exception e)
    {
        Exception? found = null;
        for (var x = e; x is not null; x = x.InnerException)
            if (x is IOException or InvalidDataException or ArgumentException or InvalidOperationException or FormatException
                or UnauthorizedAccessException or NotSupportedException)
                found = x;
        return found;
    }

    private static string OneLine(string message) => string.Join(' ', message.Split(['\r', '\n'], StringSplitOptions.RemoveEmptyEntries));
}
