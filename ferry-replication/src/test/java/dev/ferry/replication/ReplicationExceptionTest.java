package dev.ferry.replication;

import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicationExceptionTest
{
    @Test
    void everyReasonButFencedIsRetriable()
    {
        assertThat(Arrays.stream(ReplicationException.Reason.values()).filter(reason -> !reason.retriable()))
                .containsExactly(ReplicationException.Reason.FENCED);
    }

    @Test
    void fencedIsNotTheUsersToFix()
    {
        assertThat(ReplicationException.Reason.FENCED.userMustFix()).isFalse();
    }
}
