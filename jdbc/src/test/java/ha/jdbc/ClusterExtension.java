package ha.jdbc;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Gives tests the one {@link TestCluster} of the run: started by the first test that asks,
 * closed by JUnit when the run ends (the root store closes what it holds).
 */
final class ClusterExtension implements ParameterResolver {
    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == TestCluster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .getOrComputeIfAbsent(TestCluster.class, key -> {
                    try {
                        return new TestCluster();
                    } catch (Exception e) {
                        throw new IllegalStateException("the test cluster did not start", e);
                    }
                }, TestCluster.class);
    }
}
