package common

// Paths of the RGrid HTTP API.
const (
	PathHealth       = "/health"
	PathAuthValidate = "/api/v1/auth/validate"
)

// AuthValidateResponse is the body of a successful POST /api/v1/auth/validate.
type AuthValidateResponse struct {
	AccountID            string `json:"account_id"`
	Email                string `json:"email"`
	CreditsBalanceMicros int64  `json:"credits_balance_micros"`
}

// Health states reported by GET /health.
const (
	HealthHealthy       = "healthy"
	HealthDegraded      = "degraded"
	HealthUnhealthy     = "unhealthy"
	ServiceConnected    = "connected"
	ServiceDisconnected = "disconnected"
)

// HealthResponse is the body of GET /health.
type HealthResponse struct {
	Status   string `json:"status"`
	Database string `json:"database"`
	Storage  string `json:"storage"`
	Version  string `json:"version"`
}
