using System.Globalization;

namespace Microsoft.ML.Lora.Calibration;

/// <summary>
/// The outcome of <see cref="TemperatureScaling.FitCrossValidated(ReadOnlySpan{float}, int, ReadOnlySpan{int}, int)"/>:
/// the temperature to use, the one the rows alone would give, and why the two differ when they do.
/// </summary>
internal sealed class TemperatureFit
{
    internal TemperatureFit(float temperature, float fittedTemperature, bool applied, int rows, double heldOutNll, double heldOutNllAtOne, double standardError, string reason)
    {
        Temperature = temperature;
        FittedTemperature = fittedTemperature;
        Applied = applied;
        Rows = rows;
        HeldOutNegativeLogLikelihood = heldOutNll;
        HeldOutNegativeLogLikelihoodAtOne = heldOutNllAtOne;
        StandardError = standardError;
        Reason = reason;
    }

    /// <summary>The temperature to apply: <see cref="FittedTemperature"/> when it helped on held-out folds, else 1.</summary>
    public float Temperature { get; }

    /// <summary>The temperature that minimises the negative log-likelihood of all the rows (what <see cref="TemperatureScaling.Fit(ReadOnlySpan{float}, int, ReadOnlySpan{int})"/> returns).</summary>
    public float FittedTemperature { get; }

    /// <summary>True when <see cref="Temperature"/> is the fitted one, false when it was kept at 1.</summary>
    public bool Applied { get; }

    /// <summary>Number of rows the temperature was fitted on.</summary>
    public int Rows { get; }

    /// <summary>Mean NLL of each row under the temperature fitted without that row's fold; NaN when too few rows to cross-validate.</summary>
    public double HeldOutNegativeLogLikelihood { get; }

    /// <summary>Mean NLL of the same rows at T = 1; NaN when too few rows to cross-validate.</summary>
    public double HeldOutNegativeLogLikelihoodAtOne { get; }

    /// <summary>Standard error of the mean per-row difference between the two held-out NLLs; NaN when too few rows.</summary>
    public double StandardError { get; }

    /// <summary>One sentence saying what was decided and why, with the numbers (for the log).</summary>
    public string Reason { get; }

    /// <inheritdoc/>
    public override string ToString() => Reason;

    internal static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
