namespace Microsoft.ML.Lora.Persistence;

/// <summary>
/// Shapes the exception a model load throws for ML.NET's boundary. ML.NET creates a transformer through reflection and
/// wraps whatever its factory throws in <see cref="System.Reflection.TargetInvocationException"/>s (twice: the chain, then
/// the transformer), with no hook before that, so a user's <c>ex.Message</c> says "Exception has been thrown by the target
/// of an invocation". The documented way to the cause is <c>ex.GetBaseException()</c>, the innermost exception: so the
/// library's own message must be innermost. This turns the error into one <see cref="InvalidDataException"/> without an
/// inner exception, whose message carries the cause's message (and whose <c>Data["Cause"]</c> keeps the cause itself).
/// </summary>
internal static class LoadErrors
{
    public static InvalidDataException ForMlNetBoundary(Exception e, string where)
    {
        string message = e is InvalidDataException ? e.Message : $"{where}: {e.Message}";
        var flat = new InvalidDataException(message);
        flat.Data["Cause"] = e;
        return flat;
    }
}
