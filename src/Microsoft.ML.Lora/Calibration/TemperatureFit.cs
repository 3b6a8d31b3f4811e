using System.Globalization;

namespace Microsoft.ML.Lora.Calibration;

/// <summary>
/// The outcome of <see cref="TemperatureScaling.FitCrossValidated(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>:
/// the temperature to use, the one the rows alone would give, and why the two differ when they do.
/// </summary>
/// <param name="Temperature">The temperature to apply: <paramref name="FittedTemperature"/> when it helped on held-out folds, else 1.</param>
/// <param name="FittedTemperature">The maximum-likelihood temperature of all the rows (what <see cref="TemperatureScaling.Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/> returns).</param>
/// <param name="Applied">True when <paramref name="Temperature"/> is the fitted one, false when it was kept at 1.</param>
/// <param name="Rows">Number of rows fitted on.</param>
/// <param name="HeldOutNegativeLogLikelihood">Mean NLL of each row under the temperature fitted without its fold; NaN when too few rows to cross-validate.</param>
/// <param name="HeldOutNegativeLogLikelihoodAtOne">Mean NLL of the same rows at T = 1; NaN when too few rows.</param>
/// <param name="StandardError">Standard error of the mean per-row difference of the two; NaN when too few rows.</param>
/// <param name="Reason">One sentence saying what was decided and why, with the numbers (for the log).</param>
internal sealed record TemperatureFit(float Temperature, float FittedTemperature, bool Applied, int Rows,
    double HeldOutNegativeLogLikelihood, double HeldOutNegativeLogLikelihoodAtOne, double StandardError, string Reason)
{
    /// <inheritdoc/>
    public override string ToString() => Reason;

    internal static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
