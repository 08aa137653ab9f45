using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using PortMismatch.Detection.Tests.Oracle;

namespace PortMismatch.Detection.Tests.Evaluation;

/// <summary>DETECTION.md section 6.2: the evaluator agrees with the SPL oracle on every generated record.</summary>
public sealed class EvaluatorOracleProperties
{
    private static readonly MismatchEvaluator Evaluator = new(RuleSet.Escu);

    [Property(MaxTest = 20_000, Replay = Generators.Replay, Arbitrary = [typeof(Generators)])]
    public Property Evaluator_selects_exactly_what_the_SPL_where_clause_selects(TestRecord record)
    {
        var expected = SplWhereOracle.Escu.IsSelected(record.Apps, record.DestinationPort);
        var actual = record.Use((in FlowRecord r) => Evaluator.IsMismatch(r));
        return (expected == actual).Label($"oracle {expected}, evaluator {actual} for {record}");
    }

    [Property(MaxTest = 20_000, Replay = Generators.Replay, Arbitrary = [typeof(Generators)])]
    public Property Evaluation_names_the_mismatching_values_and_a_rule_that_claims_them(TestRecord record)
    {
        var values = record.Apps.Where(a => a.Length > 0).ToArray();
        var expectedMask = 0UL;
        for (var i = 0; i < values.Length; i++)
        {
            if (SplWhereOracle.Escu.IsSelectedValue(values[i], record.DestinationPort))
            {
                expectedMask |= 1UL << i;
            }
        }

        var evaluation = record.Use((in FlowRecord r) => Evaluator.Evaluate(r));
        var ruleOk = evaluation.FirstRuleIndex < 0
            ? expectedMask == 0
            : RuleSet.Escu[evaluation.FirstRuleIndex].Apps.Any(a => string.Equals(a, values[evaluation.FirstValueIndex], StringComparison.OrdinalIgnoreCase))
              && !RuleSet.Escu[evaluation.FirstRuleIndex].ExpectedPorts.Contains(record.DestinationPort ?? 0);
        return (evaluation.MismatchMask == expectedMask
                && evaluation.MismatchCount == System.Numerics.BitOperations.PopCount(expectedMask)
                && ruleOk)
            .Label($"mask {evaluation.MismatchMask:b} expected {expectedMask:b}, rule {evaluation.FirstRuleIndex}, for {record}");
    }

    [Property(MaxTest = 5_000, Replay = Generators.Replay)]
    public Property Swar_ascii_folding_equals_byte_by_byte_folding(ulong word)
    {
        var expected = 0UL;
        for (var b = 0; b < 8; b++)
        {
            var x = (byte)(word >> (8 * b));
            if (x is >= (byte)'A' and <= (byte)'Z')
            {
                x |= 0x20;
            }

            expected |= (ulong)x << (8 * b);
        }

        return (Internal.AppNameTable.FoldAscii(word) == expected).Label($"{word:x16}");
    }

    [Fact]
    public void Swar_folding_handles_every_byte_value_in_every_lane()
    {
        for (var value = 0; value < 256; value++)
        {
            for (var lane = 0; lane < 8; lane++)
            {
                var word = (ulong)value << (8 * lane);
                var folded = (byte)(Internal.AppNameTable.FoldAscii(word) >> (8 * lane));
                Assert.Equal(value is >= 'A' and <= 'Z' ? (byte)(value | 0x20) : (byte)value, folded);
            }
        }
    }
}
